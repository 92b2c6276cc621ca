// The dashboard's and the activity history's answers, typed by their routes (core/http/routes/activity.ts) through the API client.
import type { InferResponseType } from 'hono/client';
import type { client } from '../../api.ts';

export type DashboardPage = InferResponseType<typeof client.dashboard.$get, 200>;
export type DashboardItem = DashboardPage['items'][number];
export type ConnectionActivity = InferResponseType<
  (typeof client.connections)[':id']['activity']['$get'],
  200
>;
export type RangeName = ConnectionActivity['range'];
