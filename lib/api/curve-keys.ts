// curveKeyPair() as zeromq.js: a new X25519 key pair as 40-character Z85
// strings, synchronously from Node's own crypto (libsodium loads lazily, and
// this must work before it has). Not generateKeyPairSync: on Node 20 a
// garbage collection that starts inside the JWK export of a key it made can
// deadlock the process (~KeyGenJob waits on the export's mutex; seen here).
import { createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { z85Encode } from "../core/z85.js";

/** RFC 8410 PKCS#8 wrapping of a raw 32-byte X25519 private key. */
const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");

export function curveKeyPair(): { publicKey: string; secretKey: string } {
  const sec = randomBytes(32);
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, sec]), format: "der", type: "pkcs8" });
  const pub = Buffer.from(createPublicKey(priv).export({ format: "jwk" }).x!, "base64url");
  return { publicKey: z85Encode(pub), secretKey: z85Encode(sec) };
}
