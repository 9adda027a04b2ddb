# The report's entry point (server/server.py), with the one addition the checker needs:
# --port N (0 for any free port). Other flags are ignored, as the report's server had none.
import sys

from socServer import SocServer

if __name__ == "__main__":
    port = 8080
    if "--port" in sys.argv:
        port = int(sys.argv[sys.argv.index("--port") + 1])
    SocServer().up_server(port)
