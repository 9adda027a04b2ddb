/** What the seed report's rebuilt server must fail and pass, each failure with the bug behind it. */

/** The seed report's server: what its known bugs predict (its README lists them). */
export const SEED_FAILS = [
  // "\n" put before the join notice instead of after the welcome and the notice
  "server/welcome",
  "server/blank-lines",
  // one recv(1024) is one message: no framing
  "server/empty-lines",
  "server/crlf",
  "server/split-line",
  "server/glued-lines",
  "server/glued-nickname",
  "server/utf8-split",
  "server/last-line",
  // the empty recv() of a connection that closes at once is taken as a nickname
  "server/silent-unjoined",
  // the nickname is used as received
  "server/nick-trimmed",
  // the leave notice has no newline
  "server/leave-notice",
  // print("Error occurred: " + e) raises a TypeError: a reset is never announced
  "server/leave-on-reset",
  // no signal handling
  "server/sigint",
  "server/sigterm",
  // nothing of what the seed never had: limits, refusals, sanitising
  "server-robustness/controls",
  "server-robustness/c1-controls",
  "server-robustness/invalid-utf8",
  "server-robustness/line-limit",
  "server-robustness/line-limit-default",
  "server-robustness/nick-blank",
  "server-robustness/nick-controls",
  // nicknames of any kind, as received: none of the rules of PROTOCOL.md section 3
  "server-robustness/nick-characters",
  "server-robustness/nick-invisible",
  "server-robustness/nick-scripts",
  "server-robustness/nick-taken",
  "server-robustness/nick-taken-any-letter",
  "server-robustness/nick-nfc",
  "server-robustness/nick-too-long",
  "server-robustness/nick-at-limit",
  "server-robustness/nick-too-long-default",
  "server-robustness/max-clients",
  "server-robustness/registration-timeout",
  "server-robustness/slow-reader",
  // bind() is not guarded: a port in use ends it with a traceback
  "server-robustness/port-taken",
];
export const SEED_PASSES = [
  "server/starts",
  "server/port-flag",
  "server/answers-nickname",
  "server/join-notice",
  "server/join-count",
  "server/relay",
  "server/relay-to-all",
  "server/no-echo",
  "server/order",
  "server/spaces-kept",
  "server/leave-count",
  "server/half-close",
  "server/console-accept",
  "server/console-join",
  "server/console-chat",
  "server/console-leave",
  // it takes any nickname, those of any script too
  "server-robustness/nick-any-script",
  // int() of a bad --port raises, and so does bind() of 65536: Python exits 1
  "server-robustness/bad-port",
];
