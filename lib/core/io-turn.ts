// How many engines wait for a turn of the event loop to write. Socket.send()
// yields to the event loop only when some do: a tight `await send()` loop runs
// in microtasks, and nextTick-scheduled flushes cannot run until it yields.
// inproc needs no turn, so it never pays for one.
export const ioTurn = { pending: 0 };
