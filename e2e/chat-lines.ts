/** The lines the chat must show (seed report, PROTOCOL.md), as the runner expects them on screens. */

export const NICKNAME_PROMPT = "Type your nickname>> ";
export const SERVER_UP = /^>>> Server is up on PORT:(\d+)$/;
export const WAITING = ">>> Waiting for clients...";
export const JOINED = ">>> You have joined the chatroom now.";
export const PROPAGATED = ">>> Message successfully propagated.";
export const CLOSED = "Closed chatroom successfully.";
export const DISCONNECTED = "Server disconnected!";
export const SERVER_CLOSED = ">>> Server closed.";
/** The server's console when SIGINT or SIGTERM arrives. */
export const SERVER_SHUTTING_DOWN = ">>> Server is shutting down...";
/** What every connection receives when the server shuts down gracefully. */
export const SHUTDOWN_NOTICE = ">>> The server is shutting down.";
export const BLANK_NICK = ">>> Nickname must not be blank. Closing connection.";
export const NICK_CONTROLS = ">>> Nickname must not contain control characters. Closing connection.";
export const NICK_CHARACTERS = '>>> Nickname may hold only letters, digits, "_", "-" and ".". Closing connection.';
export const NICK_SCRIPTS = ">>> Nickname must be written in one script. Closing connection.";

/** A nickname already in the room, whatever its case. */
export function nickTaken(nick: string): string {
  return `>>> Nickname "${nick}" is taken. Closing connection.`;
}

/** What the client adds to a last line that arrived without its "\n": the connection ended inside it. */
export const CUT_OFF = " [cut off]";

/** Exit statuses of the client. */
export const EXIT_OK = 0;
export const EXIT_CANNOT_CONNECT = 1;
export const EXIT_SERVER_GONE = 2;
export const EXIT_NICKNAME_REFUSED = 3;

/** The input line's prompt once joined. */
export function chatPrompt(nick: string): string {
  return `${nick}: `;
}

export function participants(count: number): string {
  return `Now participants: ${count}`;
}

/** `NICK(PORT) has joined the chatroom!!`; with the port not known yet, a pattern matching any. */
export function joinNotice(nick: string, port?: string): string | RegExp {
  return port === undefined ? joinNoticeAnyPort(nick) : `${nick}(${port}) has joined the chatroom!!`;
}

/** The join notice with any port, as digits or as a port name; group 1 is the port. */
export function joinNoticeAnyPort(nick: string): RegExp {
  return new RegExp(`^${escapeRegExp(nick)}\\((\\d+|<[^>]+>)\\) has joined the chatroom!!$`);
}

/** The server's `chat received from NICK(ADDRESS:PORT)`, whatever the address. */
export function chatReceived(nick: string, portName: string): RegExp {
  return new RegExp(`^chat received from ${escapeRegExp(nick)}\\(.*:${escapeRegExp(portName)}\\)$`);
}

/** A relayed chat line as the other participants see it. */
export function chatLine(nick: string, portName: string, text: string): string {
  return `${nick}(${portName}): ${text}`;
}

export function leftNotice(nick: string): string {
  return `User "${nick}" left chatroom.`;
}

/** To the sender only, when its chat line passes the line limit. */
export function lineTooLong(maxBytes: number): string {
  return `>>> Your line was not sent: it is longer than ${maxBytes} bytes.`;
}

/** A refused nickname: too many characters, or a nickname line past the line limit. */
export function nickTooLong(maxChars: number): string {
  return `>>> Nickname is longer than ${maxChars} characters. Closing connection.`;
}

/** To a connection beyond the client limit, which is then closed. */
export function serverFull(maxClients: number): string {
  return `>>> The chatroom is full (${maxClients} clients). Try again later.`;
}

/**
 * To a connection that sent no nickname line in time; the seconds as a plain number (20,
 * 1.5), "1 second" for 1000 ms; `partial` when bytes came but no line end.
 */
export function registrationTimedOut(timeoutMs: number, partial = false): string {
  const seconds = `${timeoutMs / 1000} second${timeoutMs === 1000 ? "" : "s"}`;
  const what = partial ? `No nickname line ended within ${seconds}: bytes arrived, but no "\\n"` : `No nickname received within ${seconds}`;
  return `>>> ${what}. Closing connection.`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
