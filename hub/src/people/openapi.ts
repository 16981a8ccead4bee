import { loginBody, tokenBody } from '../http/auth-routes.js';
import {
  errors,
  idParam,
  type JsonSchema,
  jsonBody,
  jsonResponse,
  keyed,
  listOf,
  type OpenApiPaths,
  pathParam,
  queryParams,
  schemaOf,
} from '../http/openapi-helpers.js';
import { newUserBody, patchUserBody, sitesBody, skillsBody, userListQuery } from '../http/people-routes.js';
import { siteInputSchema } from './people.input.js';
import { PERMISSIONS } from './permissions.js';

/** Sign-in, tokens, users and sites (registered in hub/src/http/openapi.ts). */
const authTags = ['sign-in'];
const peopleTags = ['people and sites'];

const sites: JsonSchema = {
  oneOf: [{ type: 'array', items: { type: 'string' } }, { const: 'all' }],
  description: "site ids, or 'all' (administrators and company-wide users)",
};
const me: JsonSchema = {
  type: 'object',
  properties: {
    username: { type: 'string' },
    display_name: { type: 'string' },
    role: { type: 'string' },
    sites,
    permissions: { type: 'array', items: { enum: [...PERMISSIONS] }, description: 'what the role may do' },
  },
  required: ['username', 'display_name', 'role', 'sites', 'permissions'],
};
const user: JsonSchema = {
  type: 'object',
  description: 'a user: never a password or its hash',
  properties: {
    username: { type: 'string' },
    display_name: { type: 'string' },
    role: { enum: ['admin', 'supervisor', 'technician', 'reviewer', 'requester', 'viewer'] },
    email: { type: ['string', 'null'] },
    phone: { type: ['string', 'null'] },
    reports_to: { type: ['string', 'null'] },
    zone: { type: ['string', 'null'] },
    active: { type: 'boolean' },
    sites,
    skills: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          skill: { type: 'string' },
          certificate_no: { type: ['string', 'null'] },
          expires_at: { type: ['integer', 'null'] },
        },
      },
    },
    created_at: { type: 'integer' },
    updated_at: { type: 'integer' },
  },
};
const userResponse = (description: string) => jsonResponse(description, keyed('user', user));
const apiToken: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    username: { type: 'string' },
    created_at: { type: 'integer' },
    expires_at: { type: ['integer', 'null'] },
    last_used_at: { type: ['integer', 'null'] },
    revoked_at: { type: ['integer', 'null'] },
  },
};
const site: JsonSchema = schemaOf(siteInputSchema);
const username = pathParam('username');

export const peoplePaths: OpenApiPaths = {
  '/api/auth/login': {
    post: {
      tags: authTags,
      summary: 'Sign in: sets the httpOnly session cookie (12 h idle, 7 days at most)',
      description:
        'Failed attempts are limited per address and per user name (429 when over); every failure gets the same message.',
      security: [],
      requestBody: jsonBody(loginBody),
      responses: {
        200: jsonResponse('signed in', {
          ...me,
          properties: { ...(me.properties as object), expires_at: { type: 'integer' } },
        }),
        ...errors(400, 401, 429),
      },
    },
  },
  '/api/auth/logout': {
    post: {
      tags: authTags,
      summary: 'Sign out: ends the session and clears its cookie',
      security: [],
      responses: { 204: { description: 'signed out' } },
    },
  },
  '/api/auth/me': {
    get: {
      tags: authTags,
      summary: 'Who is signed in: name, role, sites and what the role may do',
      responses: { 200: jsonResponse('the actor', me), ...errors(401) },
    },
  },
  '/api/tokens': {
    get: {
      tags: authTags,
      summary:
        "The caller's integration tokens (administrators: everyone's with ?all=true); never the token itself",
      parameters: [{ name: 'all', in: 'query', required: false, schema: { enum: ['true', 'false'] } }],
      responses: {
        200: jsonResponse('tokens', listOf('api_tokens', apiToken, false)),
        ...errors(401, 403),
      },
    },
    post: {
      tags: authTags,
      summary: 'Create an integration token (`Authorization: Bearer ct_…`); the token is shown this once',
      requestBody: jsonBody(tokenBody),
      responses: {
        201: jsonResponse('created', {
          type: 'object',
          properties: { token: { type: 'string', pattern: '^ct_' }, api_token: apiToken },
          required: ['token', 'api_token'],
        }),
        ...errors(400, 401, 403),
      },
    },
  },
  '/api/tokens/{id}': {
    delete: {
      tags: authTags,
      summary: 'Revoke a token (own; administrators any)',
      parameters: [idParam()],
      responses: { 204: { description: 'revoked' }, ...errors(401, 403, 404) },
    },
  },
  '/api/users': {
    get: {
      tags: peopleTags,
      summary: 'Users: everyone for administrators, the users of their sites for supervisors',
      parameters: queryParams(userListQuery),
      responses: {
        200: jsonResponse('users', listOf('users', user, false)),
        ...errors(400, 401, 403),
      },
    },
    post: {
      tags: peopleTags,
      summary: 'Create a user (administrators)',
      requestBody: jsonBody(newUserBody),
      responses: { 201: userResponse('created'), ...errors(400, 401, 403, 409) },
    },
  },
  '/api/users/{username}': {
    get: {
      tags: peopleTags,
      summary: 'One user (oneself; administrators any; supervisors the users of their sites)',
      parameters: [username],
      responses: { 200: userResponse('the user'), ...errors(401, 404) },
    },
    patch: {
      tags: peopleTags,
      summary: 'Change a user: name, role, password, contact, chain, zone; `active: false` disables at once',
      parameters: [username],
      requestBody: jsonBody(patchUserBody),
      responses: { 200: userResponse('changed'), ...errors(400, 401, 403, 404, 409) },
    },
  },
  '/api/users/{username}/sites': {
    put: {
      tags: peopleTags,
      summary: "Replace a user's sites (each must exist) or give every site",
      parameters: [username],
      requestBody: jsonBody(sitesBody),
      responses: { 200: userResponse('changed'), ...errors(400, 401, 403, 404) },
    },
  },
  '/api/users/{username}/skills': {
    put: {
      tags: peopleTags,
      summary: "Replace a user's skills and certificates (with numbers and expiry), for dispatch",
      parameters: [username],
      requestBody: jsonBody(skillsBody),
      responses: { 200: userResponse('changed'), ...errors(400, 401, 403, 404) },
    },
  },
  '/api/sites': {
    get: {
      tags: peopleTags,
      summary: "The caller's sites",
      responses: {
        200: jsonResponse('sites', listOf('sites', site, false)),
        ...errors(401),
      },
    },
    post: {
      tags: peopleTags,
      summary: 'Create a site with its time zone (administrators)',
      requestBody: jsonBody(siteInputSchema),
      responses: {
        201: jsonResponse('created', { type: 'object', properties: { site } }),
        ...errors(400, 401, 403, 409),
      },
    },
  },
};
