# peer.py MODE HOST: the peers the checker tests talk to. Binds HOST port 0, prints the port on its first
# line, and serves until killed (TCP modes in `tcp`, ICP modes over UDP below).
import socket, struct, sys, threading, time

mode, host = sys.argv[1], sys.argv[2]

def greet(data):
    def handler(c):
        c.sendall(data)
        f = c.makefile('rb')
        f.readline()
        c.close()
    return handler

def smtp(banner, ehlo_reply):
    def handler(c):
        c.sendall(banner)
        f = c.makefile('rb')
        line = f.readline()
        if line.upper().startswith(b'EHLO ') and line.endswith(b'\r\n'):
            c.sendall(ehlo_reply)
            line = f.readline()
            if line.upper().startswith(b'QUIT'):
                c.sendall(b'221 bye\r\n')
        c.close()
    return handler

def hold(data):
    def handler(c):
        if data:
            c.sendall(data)
        time.sleep(60)
    return handler

tcp = {
    'accept': hold(b''),
    'silent': hold(b''),
    'garbage': hold(b'x' * 5000),
    'bare-lf': hold(b'+OK hello\n'),
    'smtp': smtp(b'220-mx.shoal.test ESMTP\r\n220 ready\r\n', b'250-mx.shoal.test\r\n250-SIZE 1000\r\n250 PIPELINING\r\n'),
    'smtp-554': smtp(b'554 5.3.2 no service here\r\n', b''),
    'smtp-ehlo-502': smtp(b'220 ready\r\n', b'502 5.5.1 no EHLO\r\n'),
    'pop3': greet(b'+OK POP3 ready\r\n'),
    'pop3-err': greet(b'-ERR busy\r\n'),
    'imap': greet(b'* OK [CAPABILITY IMAP4rev1] ready\r\n'),
    'imap-preauth': greet(b'* PREAUTH welcome\r\n'),
    'imap-bye': greet(b'* BYE too busy\r\n'),
}

def icp_reply(opcode, reqnum, payload):
    return struct.pack('!BBHIIII', opcode, 2, 20 + len(payload), reqnum, 0, 0, 0) + payload

if mode in tcp:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 0))
    s.listen(16)
    print(s.getsockname()[1], flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=tcp[mode], args=(c,), daemon=True).start()
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, 0))
    print(s.getsockname()[1], flush=True)
    while True:
        data, addr = s.recvfrom(65535)
        if len(data) < 20:
            continue
        op, version, length, reqnum = struct.unpack('!BBHI', data[:8])
        # Only a well-formed ICP v2 SECHO probe gets an answer; anything else is ignored (the check then times out).
        if op != 10 or version != 2 or length != len(data) or not data.endswith(b'\0'):
            continue
        if mode == 'icp-echo':
            s.sendto(data, addr)
        elif mode == 'icp-miss':
            s.sendto(icp_reply(3, reqnum, data[20:]), addr)
        elif mode == 'icp-stale':
            s.sendto(icp_reply(3, (reqnum + 1) & 0xffffffff, data[20:]), addr)
            s.sendto(icp_reply(2, reqnum, data[20:]), addr)
        elif mode == 'icp-err':
            s.sendto(icp_reply(4, reqnum, data[20:]), addr)
        elif mode == 'icp-badlength':
            s.sendto(icp_reply(3, reqnum, data[20:]) + b'extra', addr)
        elif mode == 'icp-garbage':
            s.sendto(b'garbage!', addr)
