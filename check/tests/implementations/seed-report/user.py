# The report's member-only class: a client-side socket with its nickname and address.
class User:
    def __init__(self, nickname, client, addr):
        self.nickname = nickname
        self.client = client
        self.addr = addr
