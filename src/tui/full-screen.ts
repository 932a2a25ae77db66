import { EventEmitter } from 'node:events';

/**
 * The terminal side of `fano top` as a full-screen program, as htop does it: the alternate
 * screen buffer (the user's screen and scrollback are untouched and come back on exit), and a
 * frame that Ink redraws in place, never clearing the screen.
 *
 * Why Ink gets a stand-in for stdout: Ink clears the whole terminal (ESC[2J ESC[3J, which also
 * wipes the user's scrollback) before every frame once a frame has been as tall as the terminal,
 * which happens after any shrink. The stand-in forwards every write but does not tell Ink the
 * height, so that branch never runs; the dashboard sizes its frame itself (rows - 1 lines).
 */
export const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H';
export const LEAVE_ALT_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

type WriteCallback = (err?: Error | null) => void;

/** What Ink reads of its stdout: writes, the width, isTTY, resize events. Never the height. */
export class FrameStdout extends EventEmitter {
  readonly isTTY = true;
  constructor(private readonly real: NodeJS.WriteStream) {
    super();
  }
  get columns(): number {
    return this.real.columns || 80;
  }
  get writableLength(): number {
    return this.real.writableLength;
  }
  get destroyed(): boolean {
    return this.real.destroyed;
  }
  get writable(): boolean {
    return this.real.writable;
  }
  write(chunk: string, encodingOrCb?: BufferEncoding | WriteCallback, cb?: WriteCallback): boolean {
    if (typeof encodingOrCb === 'function') return this.real.write(chunk, encodingOrCb);
    return this.real.write(chunk, encodingOrCb ?? 'utf8', cb);
  }
}

/**
 * The part of a terminal stream the stand-in provides (Ink's option is typed as a whole
 * WriteStream, but Ink reads only these, and must not read `rows`).
 */
export type InkStdout = Pick<NodeJS.WriteStream, 'isTTY' | 'columns' | 'writableLength' | 'destroyed' | 'writable' | 'write'> &
  Pick<EventEmitter, 'on' | 'off' | 'emit'>;

export interface FullScreen {
  /** The stream to give Ink. */
  stdout: InkStdout;
  /** Terminal rows now. */
  rows(): number;
  /**
   * Leaves the alternate screen (idempotent; also runs on process exit, so a crash or a signal
   * still gives the user their screen back).
   */
  leave(): void;
}

/**
 * Enters the alternate screen. `onResize` runs on a resize before Ink redraws, so the frame Ink
 * draws after a resize is already sized for the new terminal.
 */
export function enterFullScreen(real: NodeJS.WriteStream, onResize: () => void): FullScreen {
  const stdout = new FrameStdout(real);
  let active = true;
  real.write(ENTER_ALT_SCREEN);
  const resized = () => {
    onResize();
    stdout.emit('resize');
  };
  const leave = () => {
    if (!active) return;
    active = false;
    real.off('resize', resized);
    process.off('exit', leave);
    // Terminal writes are synchronous on POSIX, so this lands even from an exit handler.
    real.write(SHOW_CURSOR + LEAVE_ALT_SCREEN);
  };
  real.on('resize', resized);
  process.on('exit', leave);
  return { stdout, rows: () => real.rows || 24, leave };
}
