// Sockets for tests of dependencies going away.
import net from 'node:net';

/** A TCP port nothing listens on right now (the OS picks it, then it is released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
