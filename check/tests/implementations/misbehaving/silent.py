# Listens, accepts, and never says anything.
import socket
import sys
import time

port = int(sys.argv[sys.argv.index("--port") + 1])
listener = socket.socket()
listener.bind(("127.0.0.1", port))
listener.listen()
print(">>> Server is up on PORT:" + str(listener.getsockname()[1]), flush=True)
print(">>> Waiting for clients...", flush=True)
accepted = []
while True:
    connection, _ = listener.accept()
    accepted.append(connection)
    time.sleep(0)
