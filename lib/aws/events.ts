import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventPublisher, MarqueeEvent } from '../ports';
import { TransientError } from './errors';

/** The EventBridge `source` of every Marquee event. */
export const EVENT_SOURCE = 'marquee';

/** Domain events onto an EventBridge bus: `source: marquee`, `detail-type` = the event type. */
export class EventBridgePublisher implements EventPublisher {
  constructor(private readonly eb: EventBridgeClient, private readonly busName = 'default') {}

  async publish(event: MarqueeEvent): Promise<void> {
    const out = await this.eb.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: event.type, Time: new Date(event.at), Detail: JSON.stringify({ jobId: event.jobId, ...event.detail }) }],
      }),
    );
    if ((out.FailedEntryCount ?? 0) > 0) throw new TransientError(`PutEvents failed: ${out.Entries?.[0]?.ErrorCode ?? 'unknown'} ${out.Entries?.[0]?.ErrorMessage ?? ''}`);
  }
}
