// curveKeyPair() as zeromq.js: a new X25519 key pair as 40-character Z85
// strings, from Node's own crypto (no dependency). The CURVE mechanism itself
// is not built yet (capability.curve is false); the keys are ready for it.
import { generateKeyPairSync } from "node:crypto";
import { z85Encode } from "../core/z85.js";

export function curveKeyPair(): { publicKey: string; secretKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const sec = Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url");
  return { publicKey: z85Encode(pub), secretKey: z85Encode(sec) };
}
