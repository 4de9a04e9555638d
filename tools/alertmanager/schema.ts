import { z } from "zod";

/** Alertmanager webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
const labelSet = z.record(z.string().max(1024), z.string().max(16 * 1024)).refine((l) => Object.keys(l).length <= 200, {
  message: "has more than 200 labels",
});

export const webhookAlertSchema = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string().max(64),
  endsAt: z.string().max(64).optional(),
  generatorURL: z.string().max(4096).optional(),
  fingerprint: z.string().max(256).optional(),
});
export type WebhookAlert = z.infer<typeof webhookAlertSchema>;

export const webhookPayloadSchema = z.object({
  version: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().optional(),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string(),
  groupLabels: z.record(z.string(), z.string()).default({}),
  commonLabels: z.record(z.string(), z.string()).default({}),
  commonAnnotations: z.record(z.string(), z.string()).default({}),
  externalURL: z.string().optional(),
  alerts: z.array(webhookAlertSchema).max(1000, { message: "holds more than 1000 alerts" }),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
