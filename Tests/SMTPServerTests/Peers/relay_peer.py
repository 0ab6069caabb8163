# A tiny SMTP server for the relay client's tests: argv[1] is the mood (accept, silent, reject), argv[2] the
# session log; prints the port it listens on.
import asyncio, sys
mood, log = sys.argv[1], sys.argv[2]
def note(b):
    with open(log, 'ab') as f: f.write(b)
async def handle(r, w):
    if mood == 'silent':
        await r.read()
        return
    if mood == 'reject':
        w.write(b'554 5.3.2 no service here\r\n'); await w.drain()
    else:
        w.write(b'220 peer.test ESMTP\r\n'); await w.drain()
    data = False
    while True:
        line = await r.readline()
        if not line: break
        if data:
            note(line)
            if line == b'.\r\n':
                data = False
                w.write(b'250 2.0.0 queued as 42\r\n')
        else:
            note(line)
            u = line.decode().strip().upper()
            if u.startswith('EHLO'): w.write(b'250-peer.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n')
            elif u.startswith('MAIL'): w.write(b'250 2.1.0 ok\r\n')
            elif u.startswith('RCPT'): w.write(b'550 5.1.1 no such user\r\n' if 'NOBODY@' in u else b'250 2.1.5 ok\r\n')
            elif u == 'DATA': data = True; w.write(b'354 go ahead\r\n')
            elif u == 'QUIT': w.write(b'221 2.0.0 bye\r\n'); await w.drain(); break
            else: w.write(b'502 5.5.2 what\r\n')
        await w.drain()
    w.close()
async def main():
    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server: await server.serve_forever()
asyncio.run(main())
