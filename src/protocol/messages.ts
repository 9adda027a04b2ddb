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

export function nickCharacters(): string {
  return '>>> Nickname may hold only letters, digits, "_", "-" and ".". Closing connection.\n';
}

export function nickMixesScripts(): string {
  return ">>> Nickname must be written in one script. Closing connection.\n";
}

/** The nickname is one already accepted (case aside); it holds nothing but letters, digits and "_-.". */
export function nickTaken(nick: string): string {
  return `>>> Nickname "${nick}" is taken. Closing connection.\n`;
}

export function lineTooLong(maxBytes: number): string {
  return `>>> Your line was not sent: it is longer than ${maxBytes} bytes.\n`;
}

export function serverFull(maxClients: number): string {
  return `>>> The chatroom is full (${maxClients} clients). Try again later.\n`;
}

/** No nickname line in time; `partial` when bytes came but no line end: a client that forgets the "\n". */
export function registrationTimedOut(seconds: number, partial = false): string {
  const what = partial ? `No nickname line ended within ${seconds} second${seconds === 1 ? "" : "s"}: bytes arrived, but no "\\n"` : `No nickname received within ${seconds} second${seconds === 1 ? "" : "s"}`;
  return `>>> ${what}. Closing connection.\n`;
}

export function serverClosing(): string {
  return ">>> The server is shutting down.\n";
}

// ---- a room spread over several servers (CLUSTER.md) ----

/** To every member of a server that has not reached the room (Redis) for --cluster-outage-ms. */
export function clusterCutOff(seconds: number): string {
  return `>>> This server has lost the chatroom for ${seconds} second${seconds === 1 ? "" : "s"}: your lines wait and will be sent when it is back.\n`;
}

/** To every member of that server once it reaches the room again. */
export function clusterBack(): string {
  return ">>> This server is back in the chatroom.\n";
}

/** Lines were trimmed from the room's log before this server read them: what follows resumes after them. */
export function clusterMissed(): string {
  return ">>> Some lines were missed while this server was cut off.\n";
}

/** A line that could not even be held: this server has been cut off too long. */
export function clusterLineNotSent(): string {
  return ">>> Your line was not sent: this server is cut off from the chatroom.\n";
}

/** The other servers took this server for dead (its heartbeat lapsed) and its members out of the room. */
export function clusterDropped(): string {
  return ">>> This server was cut off from the chatroom for too long. Closing connection.\n";
}
