// CURVE: an encrypted ROUTER that lets in only the clients it knows, through
// a ZAP authenticator function; one known client gets answers, a stranger is
// refused (handshake:error:auth, 400) and nothing it sends arrives.
// Run alone: node examples/secure-server.js [tcp|ipc]
// (security is for connections over a wire: inproc has no handshake)
import { Context, Dealer, Router, curveKeyPair, messageMetadata, setAuthenticator } from "omq";
import { endpointFor, runIfMain } from "./util.js";

export async function main(transport = "tcp") {
  const context = new Context(); // the authenticator serves the server sockets of this context
  const serverKeys = curveKeyPair();
  const known = curveKeyPair();
  const stranger = curveKeyPair();

  const auth = setAuthenticator((req) => (req.publicKey === known.publicKey ? { userId: "known-client" } : false), context);

  const server = new Router({ context, linger: 0, curveServer: true, curveSecretKey: serverKeys.secretKey });
  await server.bind(endpointFor(transport, "secure"));
  const serving = (async () => {
    for await (const message of server) {
      const [id, msg] = message;
      // what the authenticator said of this peer rides on each of its messages
      const user = messageMetadata(message)?.properties?.get("User-Id")?.toString();
      await server.send([id, `hello ${user}, you said ${msg}`]);
    }
  })();

  const client = (keys) =>
    new Dealer({ linger: 0, curveServerKey: serverKeys.publicKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey });

  const good = client(known);
  good.connect(server.lastEndpoint);
  await good.send("ping");
  const [reply] = await good.receive();
  console.log(`  curve[${transport}]: ${reply}`);

  const bad = client(stranger);
  const refused = new Promise((resolve) => bad.events.on("handshake:error:auth", (e) => resolve(e.error.status)));
  bad.connect(server.lastEndpoint);
  const status = await refused;
  console.log(`  curve[${transport}]: a stranger was refused with status ${status}`);

  for (const s of [good, bad, server]) s.close();
  auth.close();
  await serving;
  return { reply: String(reply), status };
}

runIfMain(import.meta.url, main);
