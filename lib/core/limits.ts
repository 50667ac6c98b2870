// Bounds omq holds every peer to, shared by the layers that enforce them (the
// wire checks them at the header; XPUB checks what reaches it over inproc).

/** Longest topic a peer may subscribe to (a SUBSCRIBE/CANCEL command, or a
 * 0x01/0x00 message part). libzmq has no cap. */
export const MAX_TOPIC_BYTES = 64 * 1024;
