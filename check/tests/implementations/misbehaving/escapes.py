# Leaves a process behind in a session of its own, then serves nothing.
import os
import socket
import sys
import time

port = int(sys.argv[sys.argv.index("--port") + 1])
if os.fork() == 0:
    os.setsid()
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "escaped.pid"), "w") as f:
        f.write(str(os.getpid()))
    time.sleep(600)
    sys.exit(0)
listener = socket.socket()
listener.bind(("127.0.0.1", port))
listener.listen()
print(">>> Server is up on PORT:" + str(listener.getsockname()[1]), flush=True)
print(">>> Waiting for clients...", flush=True)
while True:
    listener.accept()
