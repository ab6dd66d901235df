// AudioWorklet: N input channels at the context's rate -> interleaved 16 kHz s16le frames.
// Each channel is resampled by averaging the input samples that fall into each output sample
// (a box filter, enough for speech detection and recognition), then clipped to 16 bits.
// Every `frameMs` (default 40 ms) it posts { pcm, levels }: the frame as an ArrayBuffer and
// each channel's RMS over the frame (the level meters read these; only `pcm` goes to the server),
// and `at`, the context's sample frame of the frame's first input sample.
const TARGET_RATE = 16000;

class PcmProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = options.processorOptions || {};
    this.channels = opts.channels || 1;
    this.ratio = sampleRate / TARGET_RATE;
    this.frameSamples = Math.round((TARGET_RATE * (opts.frameMs || 40)) / 1000);
    this.out = new Int16Array(this.frameSamples * this.channels);
    this.filled = 0;
    this.acc = new Float64Array(this.channels);
    this.count = 0;
    this.pos = 0; // input samples consumed towards the next output sample
    this.at = 0;
  }

  process(inputs) {
    const input = inputs[0];
    const length = input && input.length ? input[0].length : 128;
    for (let i = 0; i < length; i++) {
      if (this.filled === 0 && this.count === 0) this.at = currentFrame + i;
      for (let c = 0; c < this.channels; c++) {
        const data = input && input[c] ? input[c] : input && input[0];
        this.acc[c] += data ? data[i] : 0;
      }
      this.count += 1;
      this.pos += 1;
      if (this.pos >= this.ratio) {
        this.pos -= this.ratio;
        for (let c = 0; c < this.channels; c++) {
          // x / 32768 from a 16-bit source comes back as x exactly (at 16 kHz nothing is averaged).
          const v = Math.round((this.acc[c] / this.count) * 32768);
          this.out[this.filled * this.channels + c] = Math.max(-32768, Math.min(32767, v));
          this.acc[c] = 0;
        }
        this.count = 0;
        this.filled += 1;
        if (this.filled === this.frameSamples) this.post();
      }
    }
    return true;
  }

  post() {
    const levels = [];
    for (let c = 0; c < this.channels; c++) {
      let sum = 0;
      for (let i = 0; i < this.frameSamples; i++) {
        const v = this.out[i * this.channels + c] / 32768;
        sum += v * v;
      }
      levels.push(Math.sqrt(sum / this.frameSamples));
    }
    const pcm = this.out.slice().buffer;
    this.port.postMessage({ pcm, levels, at: this.at }, [pcm]);
    this.filled = 0;
  }
}

registerProcessor("pcm-16k", PcmProcessor);
