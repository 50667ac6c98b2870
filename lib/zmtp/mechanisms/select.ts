// The one place that turns a socket's security options into a connection's
// mechanism (libzmq: the engine's switch on options.mechanism). Transports
// call it with the connection's facts; mechanisms never see the transport.
import type { Mechanism, MechanismSelf } from "./mechanism.js";
import { CurveClient } from "./curve-client.js";
import { CurveServer } from "./curve-server.js";
import { DeferredMechanism } from "./deferred.js";
import { NullMechanism } from "./null.js";
import { PlainClient, PlainServer } from "./plain.js";
import { loadSodium, sodiumNow, type Sodium } from "./sodium.js";
import type { ZapConnector, ZapContext } from "./zap.js";

/** The security options, as the socket holds them. */
export interface SecuritySettings {
  mechanism: "null" | "plain" | "curve";
  asServer: boolean;
  plainUsername: string | null;
  plainPassword: string | null;
  /** 32-byte keys. */
  curvePublicKey: Buffer | null;
  curveSecretKey: Buffer | null;
  curveServerKey: Buffer | null;
  zapDomain: string | null;
  zapEnforceDomain: boolean;
}

/** One connection's facts for ZAP. */
export interface ConnectionFacts {
  zap: ZapConnector;
  /** The peer's address as ZAP reports it. */
  address: string;
  /** Our routing id (ZAP's "identity" frame). */
  routingId: Buffer;
}

const NO_KEY = Buffer.alloc(32);

export function makeMechanism(self: MechanismSelf, sec: SecuritySettings, conn: ConnectionFacts): Mechanism {
  const zap: ZapContext = {
    connect: conn.zap,
    domain: sec.zapDomain ?? "",
    enforceDomain: sec.zapEnforceDomain,
    address: conn.address,
    routingId: conn.routingId,
  };
  switch (sec.mechanism) {
    case "plain":
      if (sec.asServer) return new PlainServer({ ...self, zap });
      return new PlainClient({
        ...self,
        username: Buffer.from(sec.plainUsername ?? "", "utf8"),
        password: Buffer.from(sec.plainPassword ?? "", "utf8"),
      });
    case "curve": {
      // unset keys are zeros, as libzmq's
      const make = (s: Sodium): Mechanism =>
        sec.asServer
          ? new CurveServer(s, { ...self, secretKey: sec.curveSecretKey ?? NO_KEY, zap })
          : new CurveClient(s, {
              ...self,
              publicKey: sec.curvePublicKey ?? NO_KEY,
              secretKey: sec.curveSecretKey ?? NO_KEY,
              serverKey: sec.curveServerKey ?? NO_KEY,
            });
      const s = sodiumNow();
      if (s !== undefined) return make(s);
      return new DeferredMechanism("CURVE", sec.asServer, loadSodium().then((lib) => () => make(lib)));
    }
    default: {
      const o: ConstructorParameters<typeof NullMechanism>[0] = { ...self };
      if (zap.domain !== "") o.zap = zap;
      return new NullMechanism(o);
    }
  }
}
