/**
 * What every command gets: the output streams, the environment, and a lazily created Engine API client for the
 * daemon named by `-H` or `DOCKER_HOST`.
 */
import { EngineClient } from '../client/engine-client.js';
import { StatusError } from './errors.js';

export interface GlobalOptions {
  host?: string[];
  debug?: boolean;
  logLevel?: string;
  config?: string;
  context?: string;
}

export class CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly globals: GlobalOptions;
  #client: EngineClient | undefined;

  constructor(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env) {
    this.globals = globals;
    this.env = env;
    this.stdout = process.stdout;
    this.stderr = process.stderr;
  }

  /** Opened only when a command reads it: merely creating process.stdin can hold a terminal or pipe open. */
  get stdin(): NodeJS.ReadStream {
    return process.stdin;
  }

  /** The daemon address: `-H` (once), else `DOCKER_HOST`, else the default socket. */
  get host(): string {
    const hosts = this.globals.host ?? [];
    if (hosts.length > 1) throw new StatusError('Specify only one -H', 1);
    return hosts[0] ?? this.env.DOCKER_HOST ?? '';
  }

  get client(): EngineClient {
    if (!this.#client) {
      const apiVersion = this.env.DOCKER_API_VERSION;
      try {
        this.#client = new EngineClient(apiVersion ? { host: this.host, apiVersion } : { host: this.host });
      } catch (e) {
        throw new StatusError((e as Error).message, 1);
      }
    }
    return this.#client;
  }

  out(text: string): void {
    this.stdout.write(text);
  }

  err(text: string): void {
    this.stderr.write(text);
  }

  close(): void {
    this.#client?.close();
  }
}
