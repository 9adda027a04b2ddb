/** The exact lines the server sends to clients; see PROTOCOL.md for when and to whom. */

/** A chat line as the other participants see it: `NICK(PORT): text`. */
export function chatLine(nick: string, port: number, text: string): string {
  return `${nick}(${port}): ${text}\n`;
}

/** To the client that just joined; the blank line closes the notice. */
export function welcome(): string {
  return ">>> You have joined the chatroom now.\n\n";
}

/** To everyone else when a client joins; the blank line closes the notice. */
export function joinNotice(nick: string, port: number, participants: number): string {
  return `${nick}(${port}) has joined the chatroom!!\nNow participants: ${participants}\n\n`;
}

/** To everyone else when a joined client leaves, however it left. */
export function leaveNotice(nick: string): string {
  return `User "${nick}" left chatroom.\n`;
}

export function blankNickRefused(): string {
  return ">>> Nickname must not be blank. Closing connection.\n";
}

export function nickTooLong(maxChars: number): string {
  return `>>> Nickname is longer than ${maxChars} characters. Closing connection.\n`;
}

export function nickHasControls(): string {
  return ">>> Nickname must not contain control characters. Closing connection.\n";
}

export function lineTooLong(maxBytes: number): string {
  return `>>> Your line was not sent: it is longer than ${maxBytes} bytes.\n`;
}

export function serverFull(maxClients: number): string {
  return `>>> The chatroom is full (${maxClients} clients). Try again later.\n`;
}

export function registrationTimedOut(seconds: number): string {
  return `>>> No nickname received within ${seconds} second${seconds === 1 ? "" : "s"}. Closing connection.\n`;
}

export function serverClosing(): string {
  return ">>> The server is shutting down.\n";
}
