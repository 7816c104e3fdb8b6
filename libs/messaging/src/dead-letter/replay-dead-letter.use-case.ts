import { DomainError, PlatformErrorCode } from '@tpo/platform';
import { UnitOfWork } from '@tpo/persistence';
import { JetStreamServer } from '../jetstream/jetstream.server';
import { EventProcessor } from '../processing/event-processor';
import { DeadLetter, DeadLetterRepository } from './dead-letter.repository';

/**
 * Re-runs a dead-lettered event through the same validation, inbox and handler as a live
 * delivery. On success the letter is marked replayed in the handler's own transaction.
 */
export class ReplayDeadLetterUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly deadLetters: DeadLetterRepository,
    private readonly server: JetStreamServer,
    private readonly processor: EventProcessor,
  ) {}

  async execute(id: string): Promise<DeadLetter> {
    const letter = await this.deadLetters.findById(id);
    if (!letter) throw new DomainError(PlatformErrorCode.NotFound, `dead letter ${id} not found`);
    if (letter.status !== 'pending')
      throw new DomainError(PlatformErrorCode.InvalidState, `dead letter ${id} is already ${letter.status}`);
    const key = letter.subject.split('.evt.')[1] ?? '';
    const entry = this.server.handlerFor(key);
    if (!entry || entry.consumer !== letter.consumer) {
      throw new DomainError(
        PlatformErrorCode.InvalidState,
        `no handler for ${letter.subject} in consumer ${letter.consumer}`,
      );
    }
    const outcome = await this.processor.replay(
      entry.consumer,
      entry.definition,
      async (envelope) => {
        const locked = await this.deadLetters.findForUpdate(id);
        if (locked?.status !== 'pending')
          throw new DomainError(PlatformErrorCode.InvalidState, `dead letter ${id} was replayed concurrently`);
        await entry.fn(envelope);
        await this.deadLetters.markReplayed(id);
      },
      { subject: letter.subject, data: letter.payload, deliveryCount: 1, streamSeq: null },
    );
    if (!outcome.ok) {
      await this.uow.run(() => this.deadLetters.recordReplayFailure(id, outcome.reason));
      throw new DomainError(PlatformErrorCode.InvalidState, `replay failed: ${outcome.reason}`, {
        details: { reason: outcome.reason },
      });
    }
    if (outcome.duplicate) await this.uow.run(() => this.deadLetters.markReplayed(id));
    return (await this.deadLetters.findById(id)) as DeadLetter;
  }
}
