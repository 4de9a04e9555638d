import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetricSeries } from "../../tools/interfaces.ts";
import { idleCpuEntities, isIdleCpu, utilizationOf } from "./utilization.ts";

function cpu(name: string, pod: string, values: number[], unit?: string): MetricSeries {
  const series: MetricSeries = {
    name,
    kind: "cpu",
    labels: { service: pod.split("-")[0], pod },
    points: values.map((v, i) => [i * 60_000, v]),
    ref: `${name}{pod="${pod}"}`,
  };
  if (unit) series.unit = unit;
  return series;
}

describe("agents/analysis/utilization", () => {
  it("reads a share of the allotment from the unit, the name, or a known limit", () => {
    assert.equal(utilizationOf({ name: "cpu", unit: "%" }, 45), 0.45);
    assert.equal(utilizationOf({ name: "CpuUsageRate(%)" }, 45), 0.45);
    assert.equal(utilizationOf({ name: "node_cpu_utilisation" }, 0.45), 0.45);
    assert.equal(utilizationOf({ name: "x", unit: "ratio" }, 0.3), 0.3);
    assert.equal(utilizationOf({ name: "container_cpu", unit: "cores" }, 0.25, 0.5), 0.5);
    assert.equal(utilizationOf({ name: "CpuUsage(m)", unit: "millicores" }, 250, 0.5), 0.5);
    assert.equal(utilizationOf({ name: "container_cpu", unit: "cores" }, 0.25), undefined, "no limit: unknown");
    assert.equal(utilizationOf({ name: "latency", unit: "s" }, 0.25, 1), undefined, "not a usage unit");
  });

  it("finds the pods whose CPU stayed idle after the split, whatever their own unit", () => {
    const series = [
      // Idle pod: 0.3% → 1% of its allotment is a big relative move and still nothing.
      cpu("CpuUsageRate(%)", "pay-1", [0.3, 0.3, 0.3, 1.0], "%"),
      cpu("CpuUsage(m)", "pay-1", [0.06, 0.06, 0.06, 0.19], "millicores"),
      // Busy pod: reaches 90%.
      cpu("CpuUsageRate(%)", "cart-1", [5, 5, 5, 90], "%"),
      // No stated share at all: cannot be judged idle.
      cpu("container_cpu", "ads-1", [0.001, 0.001, 0.001, 0.004], "cores"),
    ];

    const idle = idleCpuEntities(series, 180_000);

    assert.deepEqual([...idle], ["pay-1"]);
    assert.equal(isIdleCpu(series[1], idle), true, "the millicores series of the idle pod is idle too");
    assert.equal(isIdleCpu(series[2], idle), false);
    assert.equal(isIdleCpu(series[3], idle), false);
    assert.equal(isIdleCpu({ ...series[0], kind: "mem" }, idle), false, "only CPU");
  });

  it("judges idleness only after the split: a busy baseline does not make an idle incident busy", () => {
    const series = [cpu("CpuUsageRate(%)", "pay-1", [80, 80, 80, 2], "%")];

    assert.deepEqual([...idleCpuEntities(series, 180_000)], ["pay-1"]);
    assert.deepEqual([...idleCpuEntities(series, 0)], []);
  });
});
