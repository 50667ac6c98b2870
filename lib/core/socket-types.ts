// Socket type names, libzmq numbers and ZMTP spellings, and what each can do.
export type SocketTypeName =
  | "pair" | "pub" | "sub" | "req" | "rep" | "dealer" | "router" | "pull" | "push" | "xpub" | "xsub";

export interface SocketTypeInfo {
  readonly name: SocketTypeName;
  /** libzmq's ZMQ_* number, exposed as `socket.type` (as zeromq.js). */
  readonly number: number;
  /** The ZMTP `Socket-Type` property value. */
  readonly zmtp: string;
  readonly canSend: boolean;
  readonly canReceive: boolean;
}

const t = (name: SocketTypeName, number: number, canSend: boolean, canReceive: boolean): SocketTypeInfo => ({
  name, number, zmtp: name.toUpperCase(), canSend, canReceive,
});

export const SOCKET_TYPES: Readonly<Record<SocketTypeName, SocketTypeInfo>> = {
  pair: t("pair", 0, true, true),
  pub: t("pub", 1, true, false),
  sub: t("sub", 2, false, true),
  req: t("req", 3, true, true),
  rep: t("rep", 4, true, true),
  dealer: t("dealer", 5, true, true),
  router: t("router", 6, true, true),
  pull: t("pull", 7, false, true),
  push: t("push", 8, true, false),
  xpub: t("xpub", 9, true, true),
  xsub: t("xsub", 10, true, true),
};

// Who may talk to whom lives in one table (socket-compat.ts, RFC 37).
export { socketTypesCompatible } from "./socket-compat.js";
