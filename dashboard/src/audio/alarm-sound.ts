/**
 * The trapped-passenger alarm tone, made by Web Audio (no sound file to download): two
 * alternating tones, repeated until stopped. Browsers keep audio suspended until the page has
 * had a click or a key press; `blocked` says so, and the first gesture then starts it.
 */
export type SoundState = 'off' | 'playing' | 'blocked';

const PATTERN = [
  { hz: 988, ms: 250 },
  { hz: 740, ms: 250 },
  { hz: 988, ms: 250 },
  { hz: 0, ms: 650 },
];

export class AlarmSound {
  private context: AudioContext | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private step = 0;
  private wanted = false;
  private readonly listeners = new Set<() => void>();
  private current: SoundState = 'off';

  state(): SoundState {
    return this.current;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.context ??= new AudioContext();
    if (this.context.state === 'running') this.play();
    else {
      this.set('blocked');
      void this.context.resume().then(
        () => this.wanted && this.play(),
        () => undefined,
      );
      window.addEventListener('pointerdown', this.unlock, true);
      window.addEventListener('keydown', this.unlock, true);
    }
  }

  stop(): void {
    this.wanted = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.removeUnlock();
    this.set('off');
  }

  private readonly unlock = () => {
    void this.context?.resume().then(() => {
      if (this.wanted && this.current !== 'playing') this.play();
    });
    this.removeUnlock();
  };

  private removeUnlock(): void {
    window.removeEventListener('pointerdown', this.unlock, true);
    window.removeEventListener('keydown', this.unlock, true);
  }

  private play(): void {
    this.set('playing');
    this.step = 0;
    this.tone();
  }

  private tone(): void {
    const context = this.context;
    if (!this.wanted || !context) return;
    const { hz, ms } = PATTERN[this.step % PATTERN.length] ?? { hz: 0, ms: 250 };
    this.step += 1;
    if (hz > 0) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = 'square';
      oscillator.frequency.value = hz;
      const t = context.currentTime;
      // Short ramps: no clicks at the start and end of each tone.
      gain.gain.setValueAtTime(0, t);
      gain.gain.linearRampToValueAtTime(0.2, t + 0.01);
      gain.gain.setValueAtTime(0.2, t + ms / 1000 - 0.02);
      gain.gain.linearRampToValueAtTime(0, t + ms / 1000);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(t);
      oscillator.stop(t + ms / 1000);
    }
    this.timer = setTimeout(() => this.tone(), ms);
  }

  private set(state: SoundState): void {
    if (state === this.current) return;
    this.current = state;
    for (const listener of [...this.listeners]) listener();
  }
}
