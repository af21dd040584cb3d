// Organizations and API keys. The platform operator's admin registers organizations and
// may issue or revoke any key; an organization's admin manages its own keys and its own
// remittance profile (the operator's admin: any organization's). The operator's admin sets an
// organization's identifiers; a provider's admin authorizes and revokes clearinghouses.
import express, { Router } from 'express';
import { z } from 'zod';
import {
  createOrganization,
  findOrganization,
  issueApiKey,
  listOrganizations,
  ORGANIZATION_KINDS,
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
import { principalOf, requireRole, type PrincipalCache } from './auth.js';

const keySchema = z.strictObject({
  orgId: z.uuid('must be a UUID').optional(),
  role: z.enum(ROLES),
  label: text(100).optional(),
});

const idParameter = z.object({ id: z.uuid('must be a UUID') });

export function organizationsRouter(database: Database, cache: PrincipalCache): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });

  router.post('/organizations', json, async (request, response) => {
    requireOperatorAdmin(principalOf(response));
    const body = (request.body ?? {}) as Record<string, unknown>;
    response.status(201).json(await createOrganization(database, body));
  });

  router.get('/organizations', async (request, response) => {
    const { kind } = parseOrThrow(
      z.strictObject({ kind: z.enum(ORGANIZATION_KINDS).optional() }),
      request.query,
      'query',
    );
    const organizations = await listOrganizations(database, kind);
    response.json({
      organizations: organizations.map(({ id, name, kind }) => ({ id, name, kind })),
    });
  });

  router.get('/organizations/me', async (_request, response) => {
    const principal = principalOf(response);
    const organization = await findOrganization(database, principal.orgId);
    if (!organization) throw new NotFound('organization');
    response.json({ organization, role: principal.role, apiKeyId: principal.keyId });
  });

  // "me" or an organization's id; the domain answers 404 for another organization's id unless
  // the caller is the operator, as for every other record.
  router.put(
    '/organizations/:id/profile',
    json,
    requireRole('admin'),
    async (request, response) => {
      const principal = principalOf(response);
      const { id } = parseOrThrow(
        z.object({ id: z.union([z.literal('me'), z.uuid()], 'must be "me" or a UUID') }),
        request.params,
        'organization id',
      );
      const input = parseOrThrow(organizationProfileSchema, request.body, 'organization profile');
      const orgId = id === 'me' ? principal.orgId : id;
      response.json(await setOrganizationProfile(database, principal, orgId, input));
    },
  );

  router.put('/organizations/:id/identifiers', json, async (request, response) => {
    const principal = principalOf(response);
    requireOperatorAdmin(principal);
    const { id } = parseOrThrow(idParameter, request.params, 'organization id');
    const input = parseOrThrow(organizationIdentifiersSchema, request.body, 'identifiers');
    response.json(await setOrganizationIdentifiers(database, principal.orgId, id, input));
  });

  router.get('/organizations/me/clearinghouses', async (_request, response) => {
    const principal = principalOf(response);
    response.json({
      authorizations: await listClearinghouseAuthorizations(database, principal),
    });
  });

  router.post(
    '/organizations/me/clearinghouses/:id',
    requireRole('admin'),
    async (request, response) => {
      const { id } = parseOrThrow(idParameter, request.params, 'clearinghouse id');
      response.json(await authorizeClearinghouse(database, principalOf(response), id));
    },
  );

  router.delete(
    '/organizations/me/clearinghouses/:id',
    requireRole('admin'),
    async (request, response) => {
      const { id } = parseOrThrow(idParameter, request.params, 'clearinghouse id');
      response.json(await revokeClearinghouse(database, principalOf(response), id));
    },
  );

  router.post('/api-keys', json, requireRole('admin'), async (request, response) => {
    const principal = principalOf(response);
    const input = parseOrThrow(keySchema, request.body, 'API key');
    const orgId = input.orgId ?? principal.orgId;
    if (orgId !== principal.orgId) requireOperatorAdmin(principal);
    const issued = await issueApiKey(database, { ...input, orgId, actorOrgId: principal.orgId });
    response.status(201).json(issued);
  });

  router.delete('/api-keys/:id', requireRole('admin'), async (request, response) => {
    const { id } = parseOrThrow(
      z.object({ id: z.uuid('must be a UUID') }),
      request.params,
      'API key id',
    );
    const revoked = await revokeApiKey(database, id, principalOf(response));
    cache.forgetKey(id);
    response.json(revoked);
  });

  return router;
}
