// Whether the seller's microphone hears the call: without a headset the microphone picks up the
// customer from the speakers, 20-150 ms late and 10-25 dB down. Both channels arrive as 10 ms
// loudness envelopes; while the call carries speech, an echo makes the microphone's envelope
// follow the call's (syllable by syllable) at a fixed lag. Own speech or room noise does not.
const FLOOR_DB = -70;

function db(rms) {
  return Math.max(FLOOR_DB, 20 * Math.log10(rms + 1e-9));
}

export class EchoWatch {
  constructor({ windowSteps = 800, minLagSteps = -10, maxLagSteps = 30, activeDb = -45, minActiveSteps = 200, threshold = 0.4 } = {}) {
    this.windowSteps = windowSteps; // 8 s of 10 ms steps
    // Up to 300 ms late; a little early too, as the two capture paths' latencies differ.
    this.minLagSteps = minLagSteps;
    this.maxLagSteps = maxLagSteps;
    this.activeDb = activeDb; // the call carries speech above this
    this.minActiveSteps = minActiveSteps; // 2 s of call speech before judging
    this.threshold = threshold;
    this.mic = [];
    this.call = [];
  }

  push(micEnvelope, callEnvelope) {
    for (const value of micEnvelope) this.mic.push(db(value));
    for (const value of callEnvelope) this.call.push(db(value));
    const excess = this.mic.length - this.windowSteps - this.maxLagSteps;
    if (excess > 0) { this.mic.splice(0, excess); this.call.splice(0, excess); }
  }

  // The best correlation over the lags, where the call is active; null until there is enough.
  measure() {
    const n = Math.min(this.mic.length, this.call.length);
    let best = null;
    for (let lag = this.minLagSteps; lag <= this.maxLagSteps; lag++) {
      const xs = [];
      const ys = [];
      for (let t = this.maxLagSteps; t < n + Math.min(0, lag); t++) {
        const call = this.call[t - lag];
        if (call < this.activeDb) continue;
        xs.push(call);
        ys.push(this.mic[t]);
      }
      if (xs.length < this.minActiveSteps) return null;
      const r = pearson(xs, ys);
      if (best === null || r > best.correlation) best = { correlation: r, lagMs: lag * 10 };
    }
    return best && { ...best, echo: best.correlation >= this.threshold };
  }
}

function pearson(xs, ys) {
  const n = xs.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += xs[i]; my += ys[i]; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx, dy = ys[i] - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}
