import { Controller, Injectable, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { defineEvent, EventEnvelope } from '@tpo/contracts';
import { OnEvent, OutboxWriter } from '@tpo/messaging';
import { DomainError } from '@tpo/platform';
import {
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';

/**
 * Test-only event and handler with switchable failure modes. Each application of the handler
 * emits `TestProbeApplied` through the outbox in the handler's transaction, so counting outbox
 * rows counts committed applications (what a user would call "applied").
 */
export const ProbeControl = {
  acceptLegacy: false,
  permanentFixed: false,
  failuresLeft: new Map<string, number>(),
  delayMs: new Map<string, number>(),
  calls: new Map<string, number[]>(),
  order: new Map<string, number[]>(),
  reset() {
    this.acceptLegacy = false;
    this.permanentFixed = false;
    this.failuresLeft.clear();
    this.delayMs.clear();
    this.calls.clear();
    this.order.clear();
  },
};

@ValidatorConstraint({ name: 'legacyMarker' })
class LegacyMarkerRule implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return value !== 'legacy' || ProbeControl.acceptLegacy;
  }
  defaultMessage(): string {
    return 'marker "legacy" is not accepted by this consumer version';
  }
}

export class TestProbeV1 {
  @IsUUID()
  probeId!: string;

  @IsOptional()
  @IsInt()
  n?: number;

  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  @Validate(LegacyMarkerRule)
  marker?: string;
}

export class TestProbeAppliedV1 {
  @IsUUID()
  probeId!: string;

  @IsOptional()
  @IsInt()
  n?: number;
}

export const TestProbe = defineEvent({
  name: 'TestProbe',
  version: 1,
  payload: TestProbeV1,
  producers: ['upstream-order-system'],
  consumers: ['tenant-service'],
  description: 'test only',
});

export const TestProbeApplied = defineEvent({
  name: 'TestProbeApplied',
  version: 1,
  payload: TestProbeAppliedV1,
  producers: ['tenant-service'],
  consumers: [],
  description: 'test only',
});

export const PROBE_EVENTS = [TestProbe, TestProbeApplied];

@Injectable()
export class ProbeUseCase {
  constructor(private readonly outbox: OutboxWriter) {}

  async apply(event: EventEnvelope<TestProbeV1>): Promise<void> {
    const { probeId, n, marker } = event.data;
    ProbeControl.calls.set(probeId, [...(ProbeControl.calls.get(probeId) ?? []), Date.now()]);
    const left = ProbeControl.failuresLeft.get(probeId) ?? 0;
    if (left > 0) {
      ProbeControl.failuresLeft.set(probeId, left - 1);
      throw new Error('simulated transient failure');
    }
    if (marker === 'permanent' && !ProbeControl.permanentFixed) {
      throw new DomainError('PROBE_REJECTED', 'simulated permanent failure', { retryable: false });
    }
    const delay = ProbeControl.delayMs.get(probeId);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    await this.outbox.emit(TestProbeApplied, { probeId, n });
    const key = event.tenantid ?? 'none';
    ProbeControl.order.set(key, [...(ProbeControl.order.get(key) ?? []), n ?? -1]);
  }
}

@Controller()
export class ProbeMessageController {
  constructor(private readonly useCase: ProbeUseCase) {}

  @OnEvent(TestProbe)
  handle(@Payload() event: EventEnvelope<TestProbeV1>): Promise<void> {
    return this.useCase.apply(event);
  }
}

@Module({ controllers: [ProbeMessageController], providers: [ProbeUseCase] })
export class ProbeModule {}

/** A well-formed envelope around a probe payload. */
export function probeEnvelope(
  data: Partial<TestProbeV1>,
  extra: Partial<EventEnvelope> = {},
): EventEnvelope<TestProbeV1> {
  return {
    specversion: '1.0',
    id: crypto.randomUUID(),
    type: TestProbe.type,
    source: 'integration-test',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    correlationid: crypto.randomUUID(),
    data: data as TestProbeV1,
    ...extra,
  } as EventEnvelope<TestProbeV1>;
}
