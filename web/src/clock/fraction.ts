/**
 * Exact rational numbers over `bigint`: the times, rates and positions of the clock.
 *
 * Mirrors `rosetta.core.timebase`: a time is seconds held exactly, read from a decimal
 * string (`"14.327"`), a fraction string (`"1001/30000"`) or a number; a number means its
 * shortest decimal form (`14.327` is exactly 14327/1000, not the binary double next to it),
 * which is what `String(number)` writes and what Python's `repr(float)` writes. Written
 * back by `toString` in the server's canonical form (`format_exact`).
 */

/** Anything a time, rate or offset may be given as. */
export type TimeLike = Fraction | number | bigint | string;

const DECIMAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;
const RATIO = /^\s*([+-]?\d+)\s*\/\s*(\d+)\s*$/;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) {
    [x, y] = [y, x % y];
  }
  return x;
}

/** `a / b` rounded towards minus infinity (`b > 0`), as Python's `//`. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** `a / b` rounded towards plus infinity (`b > 0`). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

/** An exact rational number `num / den` in lowest terms with `den > 0`. Immutable. */
export class Fraction {
  readonly num: bigint;
  readonly den: bigint;

  /** `num / den` reduced; throws a `RangeError` for a zero denominator. */
  constructor(num: bigint, den: bigint = 1n) {
    if (den === 0n) {
      throw new RangeError(`a fraction cannot have denominator 0 (numerator ${num})`);
    }
    const sign = den < 0n ? -1n : 1n;
    const divisor = gcd(num, den);
    this.num = (sign * num) / divisor;
    this.den = (sign * den) / divisor;
  }

  static readonly ZERO = new Fraction(0n);
  static readonly ONE = new Fraction(1n);

  /**
   * `value` as an exact fraction: numbers by their shortest decimal form, strings as a
   * decimal (with an optional exponent) or `"num/den"`. Throws a `RangeError` naming the
   * value for anything that is not a finite number.
   */
  static from(value: TimeLike): Fraction {
    if (value instanceof Fraction) {
      return value;
    }
    if (typeof value === "bigint") {
      return new Fraction(value);
    }
    if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        throw new RangeError(`expected a finite number, got ${value}`);
      }
      if (Number.isSafeInteger(value)) {
        return new Fraction(BigInt(value));
      }
      return Fraction.parse(String(value));
    }
    if (typeof value === "string") {
      return Fraction.parse(value);
    }
    throw new RangeError(`expected a number of seconds, got ${String(value)}`);
  }

  private static parse(text: string): Fraction {
    const ratio = RATIO.exec(text);
    if (ratio) {
      const den = BigInt(ratio[2] ?? "1");
      if (den !== 0n) {
        return new Fraction(BigInt(ratio[1] ?? "0"), den);
      }
    }
    const decimal = DECIMAL.exec(text);
    const whole = decimal?.[2] ?? "";
    const part = decimal?.[3] ?? "";
    if (decimal && (whole || part)) {
      const exponent = BigInt(decimal[4] ?? "0") - BigInt(part.length);
      const digits = BigInt(whole + part || "0") * (decimal[1] === "-" ? -1n : 1n);
      return exponent >= 0n
        ? new Fraction(digits * 10n ** exponent)
        : new Fraction(digits, 10n ** -exponent);
    }
    throw new RangeError(
      `expected a number like 14.327 or a fraction like '1001/30000', got ${JSON.stringify(text)}`,
    );
  }

  add(other: TimeLike): Fraction {
    const o = Fraction.from(other);
    return new Fraction(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  sub(other: TimeLike): Fraction {
    const o = Fraction.from(other);
    return new Fraction(this.num * o.den - o.num * this.den, this.den * o.den);
  }

  mul(other: TimeLike): Fraction {
    const o = Fraction.from(other);
    return new Fraction(this.num * o.num, this.den * o.den);
  }

  /** `this / other`; a `RangeError` when `other` is zero. */
  div(other: TimeLike): Fraction {
    const o = Fraction.from(other);
    if (o.num === 0n) {
      throw new RangeError(`cannot divide ${this.toString()} by zero`);
    }
    return new Fraction(this.num * o.den, this.den * o.num);
  }

  neg(): Fraction {
    return new Fraction(-this.num, this.den);
  }

  /** -1, 0 or 1 as `this` is below, equal to or above `other`. */
  cmp(other: TimeLike): -1 | 0 | 1 {
    const o = Fraction.from(other);
    const left = this.num * o.den;
    const right = o.num * this.den;
    return left < right ? -1 : left > right ? 1 : 0;
  }

  eq(other: TimeLike): boolean {
    return this.cmp(other) === 0;
  }

  lt(other: TimeLike): boolean {
    return this.cmp(other) < 0;
  }

  le(other: TimeLike): boolean {
    return this.cmp(other) <= 0;
  }

  gt(other: TimeLike): boolean {
    return this.cmp(other) > 0;
  }

  ge(other: TimeLike): boolean {
    return this.cmp(other) >= 0;
  }

  /** The greatest integer not above `this`. */
  floor(): bigint {
    return floorDiv(this.num, this.den);
  }

  /** The least integer not below `this`. */
  ceil(): bigint {
    return ceilDiv(this.num, this.den);
  }

  /** The nearest integer, halves going to the even one (Python's `round`). */
  roundHalfEven(): bigint {
    const down = this.floor();
    const twice = (this.num - down * this.den) * 2n;
    if (twice < this.den) {
      return down;
    }
    if (twice > this.den) {
      return down + 1n;
    }
    return down % 2n === 0n ? down : down + 1n;
  }

  /** The nearest double (correctly rounded while both parts fit in 2^53, else close). */
  toNumber(): number {
    const limit = 2n ** 53n;
    const num = this.num < 0n ? -this.num : this.num;
    if (num <= limit && this.den <= limit) {
      return Number(this.num) / Number(this.den);
    }
    // keep 64 significant bits of the quotient, then one rounding to a double
    const shift = BigInt(num.toString(2).length - this.den.toString(2).length - 64);
    const scaled = shift >= 0n ? this.num / (this.den << shift) : (this.num << -shift) / this.den;
    return Number(scaled) * 2 ** Number(shift);
  }

  /** The shortest exact string: a decimal when there is one, else `num/den` (`format_exact`). */
  toString(): string {
    if (this.den === 1n) {
      return this.num.toString();
    }
    let den = this.den;
    let twos = 0;
    let fives = 0;
    while (den % 2n === 0n) {
      den /= 2n;
      twos += 1;
    }
    while (den % 5n === 0n) {
      den /= 5n;
      fives += 1;
    }
    if (den !== 1n) {
      return `${this.num}/${this.den}`;
    }
    const places = Math.max(twos, fives);
    const magnitude = this.num < 0n ? -this.num : this.num;
    const digits = (magnitude * (10n ** BigInt(places) / this.den))
      .toString()
      .padStart(places + 1, "0");
    const sign = this.num < 0n ? "-" : "";
    return `${sign}${digits.slice(0, -places)}.${digits.slice(-places)}`;
  }
}

/** The smaller of two fractions. */
export function min(a: Fraction, b: Fraction): Fraction {
  return a.le(b) ? a : b;
}

/** The larger of two fractions. */
export function max(a: Fraction, b: Fraction): Fraction {
  return a.ge(b) ? a : b;
}
