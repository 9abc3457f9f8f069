import type { ContainerStatus, HostConfig } from '../../core/containers.js';
import { InvalidArgumentError } from '../../core/errdefs.js';

/**
 * Docker's restart policies (moby `daemon/internal/restartmanager/restartmanager.go`, `daemon/monitor.go`,
 * `daemon/daemon.go` restore, `api/types/container/hostconfig.go`).
 *
 * Lifecycle, as the container service drives it:
 * - create: `parseRestartPolicy` refuses what dockerd refuses.
 * - a start by the user (`docker start`, `restart`, `run`) makes a new `RestartTracker` and sets the record's
 *   RestartCount to 0 and manuallyStopped to false (moby ResetRestartManager(true)); automatic restarts keep
 *   the tracker, so its back-off keeps growing.
 * - exit: `shouldRestart` says whether to restart and after how long; the service bumps RestartCount, records
 *   status `restarting`, waits with `wait(delayMs)` and starts again unless the wait was cancelled.
 * - `docker stop`, `kill` with the stop signal or SIGKILL (what moby's ExitOnNext covers) mark the container
 *   manually stopped, so its exit restarts nothing, whatever the policy. `cancel()` (user stop or removal
 *   during the back-off, daemon shutdown) makes a pending `wait` resolve false and every later decision no.
 * - daemon start: `restartOnDaemonStart` picks the stopped containers to start again.
 */

export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure' | '';

export interface RestartPolicy {
  /** `''` is what Docker before v25 stored for "no". */
  Name: RestartPolicyName;
  /** on-failure only: restarts allowed before giving up; 0 (or absent) means no limit. */
  MaximumRetryCount?: number;
}

/** The first back-off delay, and the one after a run of at least `BACKOFF_RESET_AFTER_MS`. */
export const INITIAL_RESTART_DELAY_MS = 100;
export const MAX_RESTART_DELAY_MS = 60_000;
export const BACKOFF_RESET_AFTER_MS = 10_000;

/** A HostConfig.RestartPolicy, checked as dockerd checks it at create (moby ValidateRestartPolicy), in its words. */
export function parseRestartPolicy(raw: HostConfig['RestartPolicy'] | null): RestartPolicy {
  if (raw === undefined || raw === null) return { Name: 'no' };
  const name = raw.Name ?? '';
  const max = raw.MaximumRetryCount ?? 0;
  if (typeof name !== 'string' || typeof max !== 'number' || !Number.isInteger(max)) {
    throw new InvalidArgumentError('invalid restart policy: Name must be a string and MaximumRetryCount an integer');
  }
  switch (name) {
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (max !== 0) {
        throw new InvalidArgumentError(
          `invalid restart policy: maximum retry count can only be used with 'on-failure'${max < 0 ? ' and cannot be negative' : ''}`,
        );
      }
      return { Name: name };
    case 'on-failure':
      if (max < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
      return { Name: name, MaximumRetryCount: max };
    case '':
      // Versions before v25 stored an empty name as the default, with any count.
      return { Name: '', MaximumRetryCount: max };
    default:
      throw new InvalidArgumentError(
        `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
      );
  }
}

export function isNoRestart(policy: RestartPolicy | undefined): boolean {
  return policy === undefined || policy.Name === 'no' || policy.Name === '';
}

export interface RestartDecision {
  restart: boolean;
  /** How long to wait before starting again (0 when not restarting). */
  delayMs: number;
}

/**
 * The policy rules shared by an exit and a daemon start (moby ShouldRestart's switch): `always` restarts,
 * `unless-stopped` unless the user stopped it, `on-failure` on a non-zero exit while under the retry limit.
 */
function policyWantsRestart(policy: RestartPolicy, exitCode: number, manuallyStopped: boolean, restartCount: number): boolean {
  switch (policy.Name) {
    case 'always':
      return true;
    case 'unless-stopped':
      return !manuallyStopped;
    case 'on-failure': {
      const max = policy.MaximumRetryCount ?? 0;
      return (max === 0 || restartCount < max) && exitCode !== 0;
    }
    default:
      return false;
  }
}

/** One container's restart back-off, in memory (moby RestartManager); see the lifecycle at the top of this file. */
export class RestartTracker {
  #policy: RestartPolicy;
  /** The last delay handed out; 0 before the first. */
  #delayMs = 0;
  #cancelled = false;
  readonly #waiters = new Set<() => void>();

  constructor(policy: RestartPolicy) {
    this.#policy = policy;
  }

  get policy(): RestartPolicy {
    return this.#policy;
  }

  /** `docker update --restart`: later exits follow the new policy; the back-off carries on. */
  setPolicy(policy: RestartPolicy): void {
    this.#policy = policy;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /**
   * Decides on a container's exit. `manuallyStopped`: the user stopped it during this run (`docker stop`,
   * or `kill` with the stop signal or SIGKILL), which rules out a restart under every policy;
   * `runningForMs`: how long it ran (from StartedAt to the exit); `restartCount`: the record's RestartCount
   * (restarts since the user last started it), which the service bumps when it restarts.
   */
  shouldRestart(exitCode: number, opts: { manuallyStopped: boolean; runningForMs: number; restartCount: number }): RestartDecision {
    const no: RestartDecision = { restart: false, delayMs: 0 };
    // The user's stop is moby's ExitOnNext: it cancels the restart manager before any policy is asked.
    if (isNoRestart(this.#policy) || this.#cancelled || opts.manuallyStopped) return no;
    // moby moves the back-off on every decision, restart or not: reset after a long enough run, else double, capped.
    if (opts.runningForMs >= BACKOFF_RESET_AFTER_MS) this.#delayMs = 0;
    if (this.#delayMs === 0) this.#delayMs = INITIAL_RESTART_DELAY_MS;
    else if (this.#delayMs < MAX_RESTART_DELAY_MS) this.#delayMs = Math.min(this.#delayMs * 2, MAX_RESTART_DELAY_MS);
    if (!policyWantsRestart(this.#policy, exitCode, false, opts.restartCount)) return no;
    return { restart: true, delayMs: this.#delayMs };
  }

  /**
   * Waits out a restart delay: true once it passed, false when `cancel()` came first (at once if it already
   * had). The timer is unref'd, so a pending restart never keeps the daemon alive by itself.
   */
  wait(delayMs: number): Promise<boolean> {
    if (this.#cancelled) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onCancel = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(onCancel);
        resolve(!this.#cancelled);
      }, delayMs);
      timer.unref();
      this.#waiters.add(onCancel);
    });
  }

  /** No more restarts from this tracker (moby Cancel): a pending `wait` resolves false, `shouldRestart` says no. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }
}

/**
 * Whether berthd starts a container again when it starts (moby restore: `c.ShouldRestart() && HasBeenStartedBefore`).
 * Only stopped containers qualify: one still running was found again, one never started (`created`), dead or
 * half removed is left alone. `always` comes back even after `docker stop` (Docker's documented difference from
 * `unless-stopped`); `on-failure` after a non-zero exit while under its retry limit. Docker then starts it as
 * the user would, so RestartCount and manuallyStopped reset.
 */
export function restartOnDaemonStart(
  policy: RestartPolicy | undefined,
  state: { status: ContainerStatus; exitCode: number; manuallyStopped?: boolean; restartCount: number },
): boolean {
  if (policy === undefined || isNoRestart(policy)) return false;
  if (state.status !== 'exited' && state.status !== 'restarting') return false;
  return policyWantsRestart(policy, state.exitCode, state.manuallyStopped === true, state.restartCount);
}
