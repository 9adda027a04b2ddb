# Tries to write a file outside its folder (--outside PATH) and to reach an address that is
# not loopback (--reach HOST:PORT), writes what happened into nosy-findings.txt beside
# itself, then listens like a server.
import os
import socket
import sys

here = os.path.dirname(os.path.abspath(__file__))
findings = []
outside = sys.argv[sys.argv.index("--outside") + 1]
try:
    with open(outside, "w") as f:
        f.write("written from outside the sandbox\n")
    findings.append("write-outside: allowed")
except OSError as error:
    findings.append(f"write-outside: refused ({error.strerror})")
target = sys.argv[sys.argv.index("--reach") + 1] if "--reach" in sys.argv else ""
if target:
    host, _, target_port = target.rpartition(":")
    try:
        socket.create_connection((host, int(target_port)), timeout=2).close()
        findings.append("network: allowed")
    except OSError as error:
        findings.append(f"network: refused ({error.strerror or error})")
with open(os.path.join(here, "nosy-findings.txt"), "w") as f:
    f.write("\n".join(findings) + "\n")

port = int(sys.argv[sys.argv.index("--port") + 1])
listener = socket.socket()
listener.bind(("127.0.0.1", port))
listener.listen()
print(">>> Server is up on PORT:" + str(listener.getsockname()[1]), flush=True)
print(">>> Waiting for clients...", flush=True)
while True:
    listener.accept()
