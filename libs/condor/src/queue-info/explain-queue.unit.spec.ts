import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type QueueInfo, type QueuedJobAd, explainQueue, ordinal, parseQueuedJobAds, parseSlotAds } from '../index';

const job = (id: string, over: Partial<QueuedJobAd> = {}): QueuedJobAd => ({
  jobId: id as QueuedJobAd['jobId'],
  jobStatus: 1,
  qDate: 1000,
  requestCpus: 1,
  requestMemory: 1024,
  lastRejMatchReason: null,
  lastRejMatchTime: null,
  ...over,
});
const slot = (name: string, cpus: number, memory: number, state = 'Unclaimed') => ({
  name,
  state,
  slotType: 'Partitionable',
  cpus,
  memory,
});
const info = (me: QueuedJobAd | null, idle: QueuedJobAd[], slots = [slot('slot1@a', 8, 32768)]): QueueInfo => ({
  job: me,
  idleJobs: idle,
  slots,
  queriedAt: new Date(0),
});

describe('explainQueue', () => {
  it('names the CPUs asked for, the largest free slot, the place in the queue and the negotiator reason', () => {
    const me = job('7.0', { requestCpus: 64, lastRejMatchReason: 'no match found', lastRejMatchTime: 1_700_000_000 });
    const idle = [
      job('5.0', { qDate: 1 }),
      job('6.0', { qDate: 2 }),
      me,
      job('8.0', { qDate: 9999 }),
      job('9.0', { qDate: 99999 }),
    ];
    const e = explainQueue(
      '7.0',
      info(me, idle, [slot('slot1@a', 8, 32768), slot('slot1@b', 4, 8192), slot('slot1_1@b', 16, 1, 'Claimed')]),
    );
    assert.deepEqual(e.lines, [
      'No free slot has 64 CPUs; the largest free slot has 8.',
      '3rd of 5 idle jobs of this hub.',
      'HTCondor says: no match found',
    ]);
    assert.equal(e.matchingSlots, 0);
    assert.deepEqual(e.largestFreeSlot, { name: 'slot1@a', cpus: 8, memoryMb: 32768 });
    assert.deepEqual(e.position, { place: 3, of: 5 });
    assert.deepEqual(e.condorSays, { reason: 'no match found', at: '2023-11-14T22:13:20.000Z' });
  });

  it('says when memory, not CPUs, is what no free slot has', () => {
    const me = job('1.0', { requestCpus: 2, requestMemory: 65536 });
    const e = explainQueue('1.0', info(me, [me], [slot('s@a', 8, 16384), slot('s@b', 1, 131072)]));
    assert.equal(e.lines[0], 'No free slot has 64 GB memory for 2 CPUs; the largest free slot has 16 GB.');
    assert.equal(e.lines[1], '1st of 1 idle jobs of this hub.');
  });

  it('counts the free slots with room and says the job waits for a negotiation cycle', () => {
    const me = job('1.0', { requestCpus: 1, requestMemory: 512 });
    const e = explainQueue('1.0', info(me, [me], [slot('s@a', 8, 16384), slot('s@b', 1, 1024), slot('s@c', 4, 100)]));
    assert.equal(e.matchingSlots, 2);
    assert.equal(
      e.lines[0],
      '2 free slots have room for 1 CPU and 512 MB memory; the job waits for the next negotiation cycle.',
    );
  });

  it('says every slot is busy when none is Unclaimed', () => {
    const me = job('1.0');
    const e = explainQueue('1.0', info(me, [me], [slot('s@a', 8, 16384, 'Claimed')]));
    assert.equal(e.lines[0], 'Every slot in the pool is busy; the job asks for 1 CPU and 1 GB memory.');
    assert.equal(e.largestFreeSlot, null);
  });

  it('says a job that left the queue or runs is not waiting, without a position', () => {
    assert.deepEqual(explainQueue('1.0', info(null, [])).lines, ['The job is no longer in the queue.']);
    const running = job('1.0', { jobStatus: 2 });
    const e = explainQueue('1.0', info(running, []));
    assert.deepEqual(e.lines, ['The job is not waiting in the queue: HTCondor reports it running.']);
    assert.equal(e.position, null);
  });

  it('writes ordinals as English does', () => {
    assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal), [
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '101st',
      '111th',
    ]);
  });
});

describe('queue-info parsers', () => {
  it('reads condor_q -json ads with the negotiator attributes, and nothing as no ads', () => {
    assert.deepEqual(parseQueuedJobAds(''), []);
    const ads = parseQueuedJobAds(
      '[\n{\n  "ClusterId": 12,\n  "JobStatus": 1,\n  "LastRejMatchReason": "no match found",\n  "LastRejMatchTime": 1700000000,\n  "ProcId": 0,\n  "QDate": 1699999000,\n  "RequestCpus": 64,\n  "RequestMemory": 2048\n}\n]\n',
    );
    assert.deepEqual(ads, [
      {
        jobId: '12.0',
        jobStatus: 1,
        qDate: 1699999000,
        requestCpus: 64,
        requestMemory: 2048,
        lastRejMatchReason: 'no match found',
        lastRejMatchTime: 1700000000,
      },
    ]);
  });

  it('reads condor_status -json slot ads and refuses what is not a list of ads', () => {
    const slots = parseSlotAds(
      '[\n{\n  "Cpus": 4,\n  "Memory": 16384,\n  "Name": "slot1@127.0.0.2",\n  "SlotType": "Partitionable",\n  "State": "Unclaimed"\n}\n]\n',
    );
    assert.deepEqual(slots, [
      { name: 'slot1@127.0.0.2', state: 'Unclaimed', slotType: 'Partitionable', cpus: 4, memory: 16384 },
    ]);
    assert.throws(() => parseSlotAds('{"Name": 1}'), /expected a JSON array/);
    assert.throws(() => parseSlotAds('[{'), /cannot parse condor_status/);
  });
});
