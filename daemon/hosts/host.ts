// The Host seam (shared/design.md): where commands run. Local and SSH implement the same
// contract, so every stage, snapshot and check is written once.

export interface CommandSpec {
  /** Program to run; never a shell string. */
  readonly file: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** The complete environment beyond a minimal PATH/HOME/LANG; nothing is inherited implicitly. */
  readonly env?: Readonly<Record<string, string>>;
  /** Data for stdin. Secrets travel here (or in 0600 files), never in args or env. */
  readonly input?: string | Buffer;
  /** Run as this user (the web server user for occ); the host decides how (runuser, sudo). */
  readonly user?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** When false, a non-zero exit is returned as a result instead of thrown. Default true. */
  readonly reject?: boolean;
  /** Values to hide wherever the command or its output is shown (logs, errors). */
  readonly secrets?: readonly string[];
}

/** Same shape for success and failure, on every host (after execa's result/error symmetry). */
export interface CommandResult {
  /** Printable form of the command with secrets redacted. */
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly failed: boolean;
}

/** A long-running child (a test server, a loopback file server for the updater). */
export interface RunningProcess {
  readonly pid: number | undefined;
  readonly command: string;
  /** Resolves when the process has ended, with its result; never rejects. */
  readonly exited: Promise<CommandResult>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<CommandResult>;
}

export interface WriteFileOptions {
  /** File mode; secrets are written 0600 (the mode is set before any byte is written). */
  readonly mode?: number;
}

export interface Host {
  readonly id: string;
  readonly kind: 'local' | 'ssh';
  run(spec: CommandSpec): Promise<CommandResult>;
  start(spec: CommandSpec): RunningProcess;
  /** Writes a file on the host as the executor's own user (root); SFTP over SSH. */
  writeFile(path: string, data: string | Buffer, options?: WriteFileOptions): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  /**
   * rename(2) and nothing else: atomic on one filesystem, an error (EXDEV) across mounts, never a
   * copy. The window's swap and every move back are made of these, so they are system calls
   * locally, not processes (a spawn costs milliseconds, and a loaded machine makes it hundreds).
   */
  rename(from: string, to: string): Promise<void>;
  /** Whether `path` exists, following symlinks (as `test -e`). */
  exists(path: string): Promise<boolean>;
  /** Entry names of a folder (with dot files, without `.` and `..`); [] when it cannot be read. */
  listDir(path: string): Promise<string[]>;
}
