import 'reflect-metadata';
import { GraphQLError } from 'graphql';
import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import * as keys from '../../services/api-keys.js';
import * as webhooks from '../../services/webhooks.js';
import type { DeliveryRow, WebhookRow } from '../../services/webhooks.js';
import type { GraphQLContext, PartnerServices } from '../context.js';
import {
  ApiKey,
  ApiKeyUsage,
  eventsOf,
  Webhook,
  WebhookDelivery,
  WebhookEvent,
  WebhookFilterInput,
} from '../types/partners.js';

/** Partner administration (issue 20): webhooks and API keys. Every operation needs the admin token. */
@Resolver()
export class PartnerAdmin {
  @Authorized()
  @Mutation(() => Webhook, { description: 'Registers a partner endpoint for movie events. The answer holds the signing secret: keep it, it is not shown again.' })
  async createWebhook(
    @Arg('url', () => String, { description: 'https URL (http too outside production); private addresses are refused.' }) url: string,
    @Arg('events', () => [WebhookEvent], { description: 'The events to deliver.' }) events: WebhookEvent[],
    @Arg('filter', () => WebhookFilterInput, { nullable: true, description: 'Narrows the events delivered.' }) filter: WebhookFilterInput | null,
    @Ctx() context: GraphQLContext,
  ): Promise<Webhook> {
    const row = await webhooks.createWebhook({ pool: context.pool, settings: partnersOf(context).webhooks }, { url, events, filter });
    return webhookOf(row, true);
  }

  @Authorized()
  @Query(() => [Webhook], { description: 'Every webhook (admin).' })
  async webhooks(@Ctx() context: GraphQLContext): Promise<Webhook[]> {
    return (await webhooks.listWebhooks(context)).map((w) => webhookOf(w, false));
  }

  @Authorized()
  @Query(() => [WebhookDelivery], { description: "A webhook's delivery log, newest first (admin)." })
  async webhookDeliveries(
    @Arg('webhookId', () => ID, { description: 'Webhook id.' }) webhookId: string,
    @Arg('first', () => Int, { defaultValue: 20, description: 'How many deliveries, 1-500.' }) first: number,
    @Ctx() context: GraphQLContext,
  ): Promise<WebhookDelivery[]> {
    return (await webhooks.webhookDeliveries(context, webhookId, first)).map(deliveryOf);
  }

  @Authorized()
  @Mutation(() => WebhookDelivery, { description: 'Sends a delivery again (same event id and body), as a new entry of the log.' })
  async replayWebhookDelivery(@Arg('id', () => ID, { description: 'Delivery id.' }) id: string, @Ctx() context: GraphQLContext): Promise<WebhookDelivery> {
    return deliveryOf(await webhooks.replayDelivery(context, id));
  }

  @Authorized()
  @Mutation(() => Webhook, { description: 'Turns a disabled webhook back on and sends what is pending for it.' })
  async enableWebhook(@Arg('id', () => ID, { description: 'Webhook id.' }) id: string, @Ctx() context: GraphQLContext): Promise<Webhook> {
    return webhookOf(await webhooks.enableWebhook(context, id), false);
  }

  @Authorized()
  @Mutation(() => WebhookDelivery, { description: 'Sends a signed webhook.test event now and returns its outcome.' })
  async testWebhook(@Arg('id', () => ID, { description: 'Webhook id.' }) id: string, @Ctx() context: GraphQLContext): Promise<WebhookDelivery> {
    return deliveryOf(await webhooks.testWebhook({ pool: context.pool, settings: partnersOf(context).webhooks }, id));
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Deletes a webhook and its delivery log; false when there was none.' })
  async deleteWebhook(@Arg('id', () => ID, { description: 'Webhook id.' }) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    return webhooks.deleteWebhook(context, id);
  }

  @Authorized()
  @Mutation(() => ApiKey, { description: 'Creates a partner API key. The answer holds the key: it is shown this once (only its hash is kept).' })
  async createApiKey(
    @Arg('name', () => String, { description: 'Who the key is for (1-100 characters).' }) name: string,
    @Arg('requestsPerMinute', () => Int, { description: 'Quota: requests per minute (a token bucket: bursts up to this many).' }) requestsPerMinute: number,
    @Ctx() context: GraphQLContext,
  ): Promise<ApiKey> {
    const created = await keys.createApiKey(context, { name, requestsPerMinute });
    return { ...created, key: created.key };
  }

  @Authorized()
  @Query(() => [ApiKey], { description: 'Every API key, revoked ones included (admin).' })
  async apiKeys(@Ctx() context: GraphQLContext): Promise<ApiKey[]> {
    return (await keys.listApiKeys(context)).map((k) => ({ ...k, key: null }));
  }

  @Authorized()
  @Mutation(() => ApiKey, { description: 'Revokes a key: every API process refuses it from the next request on.' })
  async revokeApiKey(@Arg('id', () => ID, { description: 'API key id.' }) id: string, @Ctx() context: GraphQLContext): Promise<ApiKey> {
    const row = await keys.revokeApiKey({ pool: context.pool, quota: partnersOf(context).quota }, id);
    return { ...row, key: null };
  }

  @Authorized()
  @Query(() => ApiKeyUsage, { description: "A key's quota and requests today (admin)." })
  async apiKeyUsage(@Arg('id', () => ID, { description: 'API key id.' }) id: string, @Ctx() context: GraphQLContext): Promise<ApiKeyUsage> {
    return keys.apiKeyUsage({ pool: context.pool, quota: partnersOf(context).quota }, id);
  }
}

function partnersOf(context: GraphQLContext): PartnerServices {
  if (!context.partners) throw new GraphQLError('Partner services are not configured on this server');
  return context.partners;
}

function webhookOf(row: WebhookRow, withSecret: boolean): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: eventsOf(row.events),
    filter: { minDelta: row.minDelta, genres: row.genres },
    secret: withSecret ? row.secret : null,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    consecutiveFailures: row.consecutiveFailures,
    createdAt: row.createdAt,
  };
}

function deliveryOf(row: DeliveryRow): WebhookDelivery {
  return { ...row, payload: JSON.stringify(row.payload) };
}
