import type { SocketTypeName } from "../lib/core/socket-types.js";
import { DealerPattern } from "./dealer.js";
import { PairPattern } from "./pair.js";
import type { Pattern, PatternHost } from "../lib/core/pattern.js";
import { PullPattern } from "./pull.js";
import { PushPattern } from "./push.js";
import { RepPattern } from "./rep.js";
import { ReqPattern } from "./req.js";
import { RouterPattern } from "./router.js";
import { PubPattern, XPubPattern } from "./xpub.js";
import { SubPattern, XSubPattern } from "./xsub.js";

const FACTORIES: Record<SocketTypeName, (h: PatternHost) => Pattern> = {
  pair: (h) => new PairPattern(h),
  pub: (h) => new PubPattern(h),
  sub: (h) => new SubPattern(h),
  req: (h) => new ReqPattern(h),
  rep: (h) => new RepPattern(h),
  dealer: (h) => new DealerPattern(h),
  router: (h) => new RouterPattern(h),
  pull: (h) => new PullPattern(h),
  push: (h) => new PushPattern(h),
  xpub: (h) => new XPubPattern(h),
  xsub: (h) => new XSubPattern(h),
};

export function createPattern(type: SocketTypeName, host: PatternHost): Pattern {
  return FACTORIES[type](host);
}
