// The process stays alive while any socket has a pending send/receive (as
// zeromq.js), and not otherwise: one shared timer is ref'ed while the count of
// pending operations is above zero. Toggling ref() allocates nothing.
let pending = 0;
let timer: NodeJS.Timeout | undefined;

export function holdAlive(): void {
  if (pending++ === 0) {
    if (timer === undefined) timer = setInterval(() => {}, 1 << 30);
    else timer.ref();
  }
}

export function releaseAlive(): void {
  if (--pending === 0) timer?.unref();
}
