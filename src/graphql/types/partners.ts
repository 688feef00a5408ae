import 'reflect-metadata';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

/** Webhook events as a GraphQL enum; deliveries name them movie.score_changed, movie.match_changed, movie.created. */
export enum WebhookEvent {
  SCORE_CHANGED = 'movie.score_changed',
  MATCH_CHANGED = 'movie.match_changed',
  MOVIE_CREATED = 'movie.created',
}
registerEnumType(WebhookEvent, {
  name: 'WebhookEvent',
  description: 'What a webhook is told about.',
  valuesConfig: {
    SCORE_CHANGED: { description: "movie.score_changed: a movie's c-rating changed (old, new, delta)." },
    MATCH_CHANGED: { description: 'movie.match_changed: provider records were linked to or unlinked from a movie.' },
    MOVIE_CREATED: { description: 'movie.created: a new movie entered the catalogue.' },
  },
});

const EVENT_NAMES = new Map<string, WebhookEvent>(Object.values(WebhookEvent).map((v) => [v, v]));
export const eventsOf = (names: string[]) => names.map((n) => EVENT_NAMES.get(n)).filter((e): e is WebhookEvent => e !== undefined);

@InputType({ description: 'Which events a webhook receives.' })
export class WebhookFilterInput {
  @Field(() => Float, { nullable: true, description: 'movie.score_changed only when the score moved at least this many points (0-100 scale).' })
  minDelta?: number | null;

  @Field(() => [String], { nullable: true, description: 'Only movies with at least one of these genres.' })
  genres?: string[] | null;
}

@ObjectType({ description: "A webhook's filter." })
export class WebhookFilter {
  @Field(() => Float, { nullable: true, description: 'Smallest score change delivered for movie.score_changed; null: every change.' })
  minDelta!: number | null;

  @Field(() => [String], { description: 'Only movies with one of these genres; empty: every movie.' })
  genres!: string[];
}

@ObjectType({ description: 'A partner endpoint MovieC POSTs signed movie events to.' })
export class Webhook {
  @Field(() => ID, { description: 'Webhook id.' })
  id!: string;

  @Field(() => String, { description: 'Where deliveries are POSTed.' })
  url!: string;

  @Field(() => [WebhookEvent], { description: 'The events delivered.' })
  events!: WebhookEvent[];

  @Field(() => WebhookFilter, { description: 'Which of those events are delivered.' })
  filter!: WebhookFilter;

  @Field(() => String, {
    nullable: true,
    description: 'The signing secret of MovieC-Signature: returned by createWebhook only, keep it.',
  })
  secret!: string | null;

  @Field(() => Boolean, { description: 'False once disabled after repeated failed deliveries (enableWebhook turns it back on).' })
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'Why the webhook was disabled.' })
  disabledReason!: string | null;

  @Field(() => Int, { description: 'Failed delivery attempts since the last success.' })
  consecutiveFailures!: number;

  @Field(() => String, { description: 'When it was registered (ISO 8601).' })
  createdAt!: string;
}

@ObjectType({ description: 'One event sent (or to be sent) to one webhook.' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'Delivery id (header MovieC-Delivery).' })
  id!: string;

  @Field(() => ID, { description: 'The webhook delivered to.' })
  webhookId!: string;

  @Field(() => ID, { description: 'The idempotency id of the event (header MovieC-Event-Id): the same on every attempt and replay.' })
  eventId!: string;

  @Field(() => String, { description: 'movie.score_changed, movie.match_changed, movie.created or webhook.test.' })
  event!: string;

  @Field(() => ID, { nullable: true, description: 'The movie the event is about (null for webhook.test).' })
  movieId!: string | null;

  @Field(() => String, { description: 'PENDING, DELIVERED or FAILED (out of attempts).' })
  status!: string;

  @Field(() => Int, { description: 'Attempts made so far.' })
  attempts!: number;

  @Field(() => String, { nullable: true, description: 'What went wrong on the last attempt (HTTP status, timeout, refused address).' })
  lastError!: string | null;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt, when one was received.' })
  lastStatusCode!: number | null;

  @Field(() => String, { description: 'The JSON body as signed and sent.' })
  payload!: string;

  @Field(() => String, { description: 'When the event was recorded (ISO 8601).' })
  createdAt!: string;

  @Field(() => String, { nullable: true, description: 'When the partner accepted it (2xx), if it has.' })
  deliveredAt!: string | null;
}

@ObjectType({ description: 'A partner API key (the key itself only in the answer of createApiKey).' })
export class ApiKey {
  @Field(() => ID, { description: 'API key id.' })
  id!: string;

  @Field(() => String, { description: 'Who the key is for.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'The key: returned by createApiKey only, never again.' })
  key!: string | null;

  @Field(() => String, { description: 'The first characters of the key, to recognise it.' })
  keyPrefix!: string;

  @Field(() => Int, { description: 'Quota: requests per minute.' })
  requestsPerMinute!: number;

  @Field(() => String, { description: 'When it was created (ISO 8601).' })
  createdAt!: string;

  @Field(() => String, { nullable: true, description: 'When it was revoked; null while valid.' })
  revokedAt!: string | null;
}

@ObjectType({ description: "A key's quota and use." })
export class ApiKeyUsage {
  @Field(() => ID, { description: 'API key id.' })
  id!: string;

  @Field(() => String, { description: 'Who the key is for.' })
  name!: string;

  @Field(() => Int, { description: 'Requests served with the key since midnight UTC.' })
  requestsToday!: number;

  @Field(() => Int, { description: 'Quota: requests per minute (the RateLimit-Limit header).' })
  limitPerMinute!: number;

  @Field(() => Boolean, { description: 'Whether the key is revoked.' })
  revoked!: boolean;
}
