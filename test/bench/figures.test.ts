/**
 * A bench figure is either defined so that it cannot be negative (a sample below zero is then
 * an error, not a median) or signed with what a value below zero means (the one that came out
 * negative when it could not be, ARP entry -> /32 everywhere, is in route-watch.test.ts).
 */
import { figure } from '../../bench/lib/measure.js';

describe('figure', () => {
  test('a figure that cannot be negative fails on a sample below zero, naming it', () => {
    const f = figure('x.y', 'a to b', [120, -11.7, 30]);
    expect(f.value).toBeNull();
    expect(f.error).toBe('a sample below zero (-11.7 ms), which this figure cannot be by its definition: a clock or the measurement is wrong');
    expect(f.signed).toBeUndefined();
  });

  test('zero is a value (a share, memory that did not grow)', () => {
    expect(figure('x.share', 'share', [0, 0, 1], { unit: 'ratio' })).toMatchObject({ value: 0, median: 0, p95: 1, min: 0 });
    expect(figure('x.share', 'share', [0, 0, 1], { unit: 'ratio' }).error).toBeUndefined();
  });

  test('a signed figure keeps its negative samples and says what they mean', () => {
    const f = figure('x.start_to_arp', 'start -> ARP', [-35.6, -11.7, 4], { signed: 'heard before Docker said start' });
    expect(f).toMatchObject({ value: -11.7, min: -35.6, signed: true, below_zero: 'heard before Docker said start' });
    expect(f.error).toBeUndefined();
  });
});
