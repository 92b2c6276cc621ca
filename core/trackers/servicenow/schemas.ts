// The shapes ServiceNow answers with, checked by zod at the edge (a malformed answer is a typed error).
import { z } from 'zod';

/** One field as the Table API gives it: a string, or `{value, link}` / `{display_value, value}` forms. */
export const fieldValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.object({
    value: z.string().nullable().optional(),
    display_value: z.string().nullable().optional(),
    link: z.string().optional(),
  }),
]);
export type FieldValue = z.infer<typeof fieldValueSchema>;

export const recordSchema = z.record(z.string(), fieldValueSchema);
/** A record as the Table API answers it (values as strings, references and display forms as objects). */
export type ServiceNowRecord = z.infer<typeof recordSchema>;

export const listAnswerSchema = z.object({ result: z.array(recordSchema) });
export const recordAnswerSchema = z.object({ result: recordSchema });

export const errorAnswerSchema = z.object({
  error: z.object({ message: z.string().nullable().optional(), detail: z.string().nullable().optional() }),
  status: z.string().optional(),
});

export const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  token_type: z.string().optional(),
  scope: z.string().optional(),
  expires_in: z.coerce.number().int().positive(),
});
export type TokenAnswer = z.infer<typeof tokenAnswerSchema>;

export const batchAnswerSchema = z.object({
  batch_request_id: z.string().optional(),
  serviced_requests: z.array(
    z.object({
      id: z.string(),
      status_code: z.number().int(),
      body: z.string().nullable().optional(),
      headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
      error_message: z.string().optional(),
    }),
  ),
  unserviced_requests: z.array(z.union([z.string(), z.object({ id: z.string() })])).optional(),
});

/** The stored value of a field in any of its forms (`{value}` objects give their `value`). */
export function storedValue(v: FieldValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return v.value ?? '';
  return String(v);
}

/** The display form of a field (asked with `sysparm_display_value=true|all`). */
export function displayValue(v: FieldValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return v.display_value ?? v.value ?? '';
  return String(v);
}
