// Organizations and API keys. The platform operator's admin registers organizations and
// may issue or revoke any key; an organization's admin manages its own keys and its own
// remittance profile (the operator's admin: any organization's). The operator's admin sets an
// organization's identifiers; a provider's admin authorizes and revokes clearinghouses.
import express from 'express';
import { z } from 'zod';
import {
  createOrganization,
  findOrganization,
  issueApiKey,
  listOrganizations,
  ORGANIZATION_KINDS,
  organizationInputSchema,
  requireOperatorAdmin,
  revokeApiKey,
  ROLES,
} from '../domain/organizations.js';
import {
  organizationProfileSchema,
  setOrganizationProfile,
} from '../domain/organization-profile.js';
import {
  authorizeClearinghouse,
  listClearinghouseAuthorizations,
  organizationIdentifiersSchema,
  revokeClearinghouse,
  setOrganizationIdentifiers,
} from '../domain/trading-partners.js';
import { parseOrThrow, text } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { NotFound } from '../infra/errors.js';
import { principalOf, type PrincipalCache } from './auth.js';
import { documentedRouter, type DocumentedRouter } from './routes.js';

const keySchema = z.strictObject({
  orgId: z.uuid('must be a UUID').optional(),
  role: z.enum(ROLES),
  label: text(100).optional(),
});

const idParameter = z.object({ id: z.uuid('must be a UUID') });
const profilePath = z.object({
  id: z.union([z.literal('me'), z.uuid()], 'must be "me" or a UUID'),
});
const organizationListQuery = z.strictObject({ kind: z.enum(ORGANIZATION_KINDS).optional() });
const organizationListSchema = z.object({
  organizations: z.array(
    z.object({ id: z.uuid(), name: z.string(), kind: z.enum(ORGANIZATION_KINDS) }),
  ),
});

export function organizationsRouter(database: Database, cache: PrincipalCache): DocumentedRouter {
  const router = documentedRouter('Organizations');
  const json = express.json({ limit: '16kb' });

  router.route(
    {
      method: 'post',
      path: '/organizations',
      summary: 'Register an organization',
      description: "The platform operator's admin only.",
      body: organizationInputSchema,
      responses: { 201: { description: 'The organization' } },
    },
    json,
    async (request, response) => {
      requireOperatorAdmin(principalOf(response));
      const body = (request.body ?? {}) as Record<string, unknown>;
      response.status(201).json(await createOrganization(database, body));
    },
  );

  router.route(
    {
      method: 'get',
      path: '/organizations',
      summary: 'Organizations, by kind',
      query: organizationListQuery,
      responses: {
        200: { description: 'Their ids, names and kinds', schema: organizationListSchema },
      },
    },
    async (request, response) => {
      const { kind } = parseOrThrow(organizationListQuery, request.query, 'query');
      const organizations = await listOrganizations(database, kind);
      response.json({
        organizations: organizations.map(({ id, name, kind }) => ({ id, name, kind })),
      } satisfies z.output<typeof organizationListSchema>);
    },
  );

  router.route(
    {
      method: 'get',
      path: '/organizations/me',
      summary: "The caller's organization, role and key id",
      responses: { 200: { description: 'The organization' } },
    },
    async (_request, response) => {
      const principal = principalOf(response);
      const organization = await findOrganization(database, principal.orgId);
      if (!organization) throw new NotFound('organization');
      response.json({ organization, role: principal.role, apiKeyId: principal.keyId });
    },
  );

  // "me" or an organization's id; the domain answers 404 for another organization's id unless
  // the caller is the operator, as for every other record.
  router.route(
    {
      method: 'put',
      path: '/organizations/:id/profile',
      summary: "Set an organization's remittance profile (address, tax id, contacts)",
      description: 'id is "me" or, for the operator, any organization.',
      roles: ['admin'],
      params: profilePath,
      body: organizationProfileSchema,
      responses: { 200: { description: 'The profile' } },
    },
    json,
    async (request, response) => {
      const principal = principalOf(response);
      const { id } = parseOrThrow(profilePath, request.params, 'organization id');
      const input = parseOrThrow(organizationProfileSchema, request.body, 'organization profile');
      const orgId = id === 'me' ? principal.orgId : id;
      response.json(await setOrganizationProfile(database, principal, orgId, input));
    },
  );

  router.route(
    {
      method: 'put',
      path: '/organizations/:id/identifiers',
      summary: "Set an organization's payer id and interchange ids",
      description: "The platform operator's admin only.",
      params: idParameter,
      body: organizationIdentifiersSchema,
      responses: { 200: { description: 'The identifiers' } },
    },
    json,
    async (request, response) => {
      const principal = principalOf(response);
      requireOperatorAdmin(principal);
      const { id } = parseOrThrow(idParameter, request.params, 'organization id');
      const input = parseOrThrow(organizationIdentifiersSchema, request.body, 'identifiers');
      response.json(await setOrganizationIdentifiers(database, principal.orgId, id, input));
    },
  );

  router.route(
    {
      method: 'get',
      path: '/organizations/me/clearinghouses',
      summary: "The clearinghouses the caller's provider authorized",
      responses: { 200: { description: 'The authorizations' } },
    },
    async (_request, response) => {
      const principal = principalOf(response);
      response.json({
        authorizations: await listClearinghouseAuthorizations(database, principal),
      });
    },
  );

  router.route(
    {
      method: 'post',
      path: '/organizations/me/clearinghouses/:id',
      summary: "Authorize a clearinghouse to send the provider's 837P claims",
      roles: ['admin'],
      params: idParameter,
      responses: { 200: { description: 'The authorization' } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(idParameter, request.params, 'clearinghouse id');
      response.json(await authorizeClearinghouse(database, principalOf(response), id));
    },
  );

  router.route(
    {
      method: 'delete',
      path: '/organizations/me/clearinghouses/:id',
      summary: "Revoke a clearinghouse's authorization",
      roles: ['admin'],
      params: idParameter,
      responses: { 200: { description: 'The authorization, revoked' } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(idParameter, request.params, 'clearinghouse id');
      response.json(await revokeClearinghouse(database, principalOf(response), id));
    },
  );

  router.route(
    {
      method: 'post',
      path: '/api-keys',
      summary: 'Issue an API key',
      description:
        "For the caller's organization; the operator's admin may name any. The key is shown once.",
      roles: ['admin'],
      body: keySchema,
      responses: { 201: { description: 'The key' } },
    },
    json,
    async (request, response) => {
      const principal = principalOf(response);
      const input = parseOrThrow(keySchema, request.body, 'API key');
      const orgId = input.orgId ?? principal.orgId;
      if (orgId !== principal.orgId) requireOperatorAdmin(principal);
      const issued = await issueApiKey(database, { ...input, orgId, actorOrgId: principal.orgId });
      response.status(201).json(issued);
    },
  );

  router.route(
    {
      method: 'delete',
      path: '/api-keys/:id',
      summary: 'Revoke an API key',
      roles: ['admin'],
      params: idParameter,
      responses: { 200: { description: 'The key, revoked' } },
    },
    async (request, response) => {
      const { id } = parseOrThrow(idParameter, request.params, 'API key id');
      const revoked = await revokeApiKey(database, id, principalOf(response));
      cache.forgetKey(id);
      response.json(revoked);
    },
  );

  return router;
}
