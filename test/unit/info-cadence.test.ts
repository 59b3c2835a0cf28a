import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  askAtTick,
  INFO_EVERY_TICKS,
  MemberAnswers,
  reportsRoom,
  Silences,
  type MemberInfo,
} from '../../src/coordinator/replication/info-cadence.js';
import { roomAnswerJson } from '../../src/coordinator/replication/entry-rooms.js';

/** A member that answered with its address and room (an up-to-date version), changed by `m`. */
function member(m: Partial<MemberInfo>): MemberInfo {
  return { clientKnown: true, roomKnown: true, oldVersion: false, quietUntil: 0, ...m };
}

/** The ticks among the first `n` at which a member in state `m` is asked. */
function askedAt(m: MemberInfo, n = 3 * INFO_EVERY_TICKS): number[] {
  const ticks = [];
  for (let tick = 1; tick <= n; tick++) if (askAtTick(tick, m)) ticks.push(tick);
  return ticks;
}

const ROUNDS = [1, 1 + INFO_EVERY_TICKS, 1 + 2 * INFO_EVERY_TICKS];
const EVERY_TICK = Array.from({ length: 3 * INFO_EVERY_TICKS }, (_, i) => i + 1);

describe('askAtTick', () => {
  it('asks a member whose address and room are known once a round', () => {
    assert.deepEqual(askedAt(member({})), ROUNDS);
  });

  it('asks a member not heard from yet at every tick, so its room is learned at once', () => {
    assert.deepEqual(askedAt(member({ roomKnown: false })), EVERY_TICK);
    assert.deepEqual(askedAt(member({ clientKnown: false, roomKnown: false })), EVERY_TICK);
  });

  it('asks a member of a version before entry rooms once a round, not at every tick', () => {
    assert.deepEqual(askedAt(member({ roomKnown: false, oldVersion: true })), ROUNDS);
  });

  it('asks at every tick while the client address is missing, whatever the version', () => {
    assert.deepEqual(
      askedAt(member({ clientKnown: false, roomKnown: false, oldVersion: true })),
      EVERY_TICK,
    );
  });
});

describe('Silences', () => {
  /**
   * The ticks among the first `n` at which a member not heard from yet is
   * asked, when its requests fail (within the tick they are sent) before
   * tick `answersFrom` and are answered from then on, its engine away (its
   * client address known, its room null).
   */
  function askedUntilAnswer(answersFrom: number, n = 3 * INFO_EVERY_TICKS): number[] {
    const silences = new Silences();
    let clientKnown = false;
    const ticks = [];
    for (let tick = 1; tick <= n; tick++) {
      const m = member({ clientKnown, roomKnown: false, quietUntil: silences.quietUntil('n4') });
      if (!askAtTick(tick, m)) continue;
      ticks.push(tick);
      if (tick < answersFrom) {
        silences.failed('n4', tick);
      } else {
        silences.answered('n4');
        clientKnown = true;
      }
    }
    return ticks;
  }

  it('asks a member that never answers after 1, 2, 4, ... ticks, then once a round', () => {
    assert.deepEqual(askedUntilAnswer(Infinity), [1, 2, 4, 8, 16, 21, 41]);
  });

  it('asks it at every tick again once it answers', () => {
    assert.deepEqual(askedUntilAnswer(8, 12), [1, 2, 4, 8, 9, 10, 11, 12]);
  });
});

describe('MemberAnswers', () => {
  const unknown = { clientKnown: false, roomKnown: false };
  const fresh = member(unknown);

  /** n4 did not answer at ticks 1, 2 and 4; n5 answered as a version before entry rooms. */
  function heard(): MemberAnswers {
    const answers = new MemberAnswers();
    for (const tick of [1, 2, 4]) answers.failed('n4', tick);
    answers.answered('n5', { id: 'n5', client: '127.0.0.1:7383' });
    return answers;
  }

  it('keeps what it heard from members across membership changes', () => {
    const answers = heard();
    answers.noteConf({ voters: ['n1', 'n2', 'n3', 'n4'], learners: ['n5'] });
    assert.deepEqual(answers.info('n4', unknown), member({ ...unknown, quietUntil: 8 }));
    assert.deepEqual(answers.info('n5', unknown), member({ ...unknown, oldVersion: true }));
  });

  it('forgets a removed member, so one added again is asked as a new member is', () => {
    const answers = heard();
    answers.noteConf({ voters: ['n1', 'n2', 'n3'], learners: [] });
    answers.noteConf({ voters: ['n1', 'n2', 'n3'], learners: ['n4', 'n5'] });
    assert.deepEqual(answers.info('n4', unknown), fresh);
    assert.deepEqual(answers.info('n5', unknown), fresh);
    assert.deepEqual(askedAt(answers.info('n4', unknown)), EVERY_TICK);
  });
});

describe('reportsRoom', () => {
  it('tells a node that reports rooms, its engine away or not, from an older one', () => {
    assert.equal(reportsRoom({ id: 'n2', client: '127.0.0.1:7379' }), false);
    const away = JSON.parse(JSON.stringify({ id: 'n2', ...roomAnswerJson(null) })) as object;
    assert.equal(reportsRoom(away), true);
    const room = { bytes: 261_075, frame: 262_144 };
    const up = JSON.parse(JSON.stringify({ id: 'n2', ...roomAnswerJson(room) })) as object;
    assert.equal(reportsRoom(up), true);
  });
});
