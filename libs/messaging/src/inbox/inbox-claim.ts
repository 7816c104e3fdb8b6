/**
 * The inbox row of one delivery, left to a handler that writes it in its own statement
 * (`@OnEvent(X, { claimsInbox: true })`, see EventProcessor): the handler chains
 * `InboxRepository.claimLink(claim)` in front of its writes, gating them, so a redelivered event
 * writes nothing, exactly as the processor's claim-then-handle transaction does, in one round trip.
 * It then tells the claim whether the row was new (`settle`).
 */
export class InboxClaim {
  private outcome: boolean | undefined;

  constructor(
    readonly consumer: string,
    readonly eventId: string,
    readonly eventType: string,
  ) {}

  /** `inserted`: the inbox row was new and the handler's writes were applied; false: a duplicate. */
  settle(inserted: boolean): void {
    if (this.outcome !== undefined) throw new Error(`inbox claim of event ${this.eventId} settled twice`);
    this.outcome = inserted;
  }

  /** undefined while the handler has not written the row. */
  get settled(): boolean | undefined {
    return this.outcome;
  }
}
