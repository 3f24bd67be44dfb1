/**
 * A time-series stream's CSV read in the browser, as `rosetta.media.timeseries.read_sensor_file`
 * reads it on the server: the `rostopic echo -p` layout with its hardware stamps
 * (`field.header.stamp`) and numeric `field.*` columns, or any CSV whose first column is the
 * timestamp in nanoseconds; a column is numeric when its first data cell is a number.
 * Columns that never change (covariances, usually) are left out of the plot, and the rest
 * are grouped by their name up to the last dot (`field.angular_velocity.x` → `angular_velocity`).
 */

const ROS_STAMPS = ["field.header.stamp", "%time"];
const ROS_SKIP = new Set([...ROS_STAMPS, "field.header.seq"]);

/** The numeric columns of a sensor CSV and each row's timestamp. */
export interface SensorTable {
  /** Each row's timestamp, nanoseconds as written (exact). */
  readonly stamps: readonly bigint[];
  readonly columns: readonly { readonly name: string; readonly values: Float64Array }[];
}

/** A few columns drawn in one chart. */
export interface ChannelGroup {
  readonly title: string;
  readonly columns: readonly { readonly name: string; readonly values: Float64Array }[];
  readonly min: number;
  readonly max: number;
}

/** Reads the CSV `text`; an `Error` names the line and column of the first bad cell. */
export function parseSensorCsv(text: string): SensorTable {
  const lines = text.split(/\r?\n/).filter((line) => line !== "");
  const header = (lines[0] ?? "").split(",");
  const first = (lines[1] ?? "").split(",");
  if (lines.length < 2 || first.length !== header.length) {
    throw new Error("line 2: expected a header row and data rows below it, with as many cells");
  }
  const ros = ROS_STAMPS.every((name) => header.includes(name));
  const stampAt = ros ? header.indexOf("field.header.stamp") : 0;
  const skip = ros ? ROS_SKIP : new Set([header[0]]);
  const numeric = header.flatMap((name, i) =>
    !skip.has(name) && first[i] !== undefined && isNumber(first[i]) ? [i] : [],
  );
  const rows = lines.length - 1;
  const stamps: bigint[] = [];
  const values = numeric.map(() => new Float64Array(rows));
  for (let row = 0; row < rows; row += 1) {
    const line = row + 2;
    const cells = (lines[row + 1] as string).split(",");
    if (cells.length !== header.length) {
      throw new Error(`line ${line}: ${cells.length} cells, the header has ${header.length}`);
    }
    const stamp = (cells[stampAt] as string).trim();
    if (!/^-?\d+$/.test(stamp)) {
      throw new Error(`line ${line}, column ${header[stampAt]}: ${JSON.stringify(stamp)} is not integer nanoseconds`);
    }
    stamps.push(BigInt(stamp));
    numeric.forEach((column, k) => {
      const cell = cells[column] as string;
      if (!isNumber(cell)) {
        throw new Error(`line ${line}, column ${header[column]}: ${JSON.stringify(cell)} is not a number`);
      }
      (values[k] as Float64Array)[row] = Number(cell);
    });
  }
  const columns = numeric.map((column, k) => ({ name: header[column] as string, values: values[k] as Float64Array }));
  return { stamps, columns };
}

function isNumber(cell: string): boolean {
  return cell.trim() !== "" && Number.isFinite(Number(cell));
}

/** Seconds from the first row (the server's timeline of a series without a clock). */
export function secondsFromFirst(stamps: readonly bigint[]): Float64Array {
  const origin = stamps[0] ?? 0n;
  return Float64Array.from(stamps, (stamp) => Number(stamp - origin) / 1e9);
}

/** The columns that change, grouped by name up to the last dot (see the module), with
 * each group's value range; `constant` counts the columns left out. */
export function channelGroups(table: SensorTable): { groups: ChannelGroup[]; constant: number } {
  const groups = new Map<string, { name: string; values: Float64Array }[]>();
  let constant = 0;
  for (const column of table.columns) {
    const first = column.values[0];
    if (column.values.every((value) => value === first)) {
      constant += 1;
      continue;
    }
    const dot = column.name.lastIndexOf(".");
    const title = (dot < 0 ? column.name : column.name.slice(0, dot)).replace(/^field\./, "");
    groups.set(title, [...(groups.get(title) ?? []), column]);
  }
  return {
    constant,
    groups: [...groups].map(([title, columns]) => {
      let min = Infinity;
      let max = -Infinity;
      for (const { values } of columns) {
        for (const value of values) {
          if (value < min) min = value;
          if (value > max) max = value;
        }
      }
      return { title, columns, min, max };
    }),
  };
}

/**
 * The series drawn `pixels` wide from `start` to `end` seconds: the lowest and highest value
 * of the rows in each pixel column (`NaN` where a column holds no row), so that a million
 * rows draw as fast as a few hundred and no spike is lost.
 */
export function envelope(
  times: Float64Array,
  values: Float64Array,
  start: number,
  end: number,
  pixels: number,
): { low: Float64Array; high: Float64Array } {
  const low = new Float64Array(pixels).fill(Number.NaN);
  const high = new Float64Array(pixels).fill(Number.NaN);
  const scale = pixels / (end - start);
  for (let row = 0; row < times.length; row += 1) {
    const x = Math.floor(((times[row] as number) - start) * scale);
    if (x < 0 || x >= pixels) continue;
    const value = values[row] as number;
    if (!(value >= (low[x] as number))) low[x] = value;
    if (!(value <= (high[x] as number))) high[x] = value;
  }
  return { low, high };
}
