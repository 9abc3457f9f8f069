/** What the daemon reports on `GET /events`: one lifecycle change of one object. */
export interface EngineEvent {
  Type: 'container' | 'image' | 'network' | 'volume' | 'daemon';
  /** e.g. `create`, `start`, `die`, `health_status: healthy`, `exec_start: sh -c ...`. */
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

/** Services report changes through this; the event log (services/events) stamps and fans them out. */
export interface EventPublisher {
  publish(event: EngineEvent): void;
}
