import { IsString, ValidateBy } from 'class-validator';
import { defineEvent } from '../event-definition';

/** Specs only: a contract whose own check throws on `word: 'boom'`, as an unguarded @ArrayUnique identifier did. */
class ThrowingPayload {
  @IsString()
  @ValidateBy({
    name: 'throwsOnBoom',
    validator: {
      validate: (v: unknown) => {
        if (v === 'boom') throw new TypeError('the check blew up');
        return true;
      },
    },
  })
  word!: string;
}

export const Throwing = defineEvent({
  name: 'ThrowingSpecEvent',
  version: 1,
  payload: ThrowingPayload,
  producers: ['tenant-service'],
  consumers: [],
  description: 'spec only',
});
