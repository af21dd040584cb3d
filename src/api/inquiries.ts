// Inquiries a billing office makes before and after a visit: eligibility and benefits
// (GET /v1/eligibility, and as X12 270/271) and claim status (GET /v1/claim-status, and as X12
// 276/277). Thin: parse, ask the domain, answer.
import express, { type RequestHandler } from 'express';
import {
  answerClaimStatus,
  answerEligibility,
  assertOwnProviderNpis,
  CLAIM_STATUS_QUESTIONS_MAX,
  ELIGIBILITY_QUESTIONS_MAX,
  inquirerOf,
} from '../domain/inquiries/index.js';
import {
  claimStatusQuerySchema,
  eligibilityQuerySchema,
  todayUtc,
} from '../domain/inquiries/schema.js';
import { nextAnswerControlNumber } from '../domain/interchanges/index.js';
import { parseOrThrow } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import type { PhiKeys } from '../infra/phi.js';
import { read270 } from '../interop/x12/270-in.js';
import { write271 } from '../interop/x12/271.js';
import { read276 } from '../interop/x12/276-in.js';
import { write277 } from '../interop/x12/277.js';
import {
  answersOf276,
  providerNpisOf276,
  questionsOf276,
} from '../interop/x12/claim-status-exchange.js';
import { answersOf270, questionsOf270 } from '../interop/x12/eligibility-exchange.js';
import type { X12Interchange } from '../interop/x12/envelope-in.js';
import { assertWritableParties, type AnswerEnvelope } from '../interop/x12/envelope-out.js';
import { X12WriteError } from '../interop/x12/segments.js';
import { principalOf } from './auth.js';
import { documentedRouter, type DocumentedRouter } from './routes.js';
import {
  FILE_BODY_LIMIT,
  MalformedInterchange,
  requireX12Text,
  x12Body,
  X12_MEDIA_TYPES,
} from './x12.js';

export interface InquiriesDependencies {
  database: Database;
  phiKeys: PhiKeys;
}

/** Refuses a key that may make no inquiry before anything else is read. */
const requireInquirer: RequestHandler = (_request, response, next) => {
  inquirerOf(principalOf(response));
  next();
};

const X12_ANSWER_TYPE = 'application/edi-x12';

function x12TextOrThrow(body: unknown, what: string): string {
  if (typeof body !== 'string' || body.trim() === '') {
    throw new MalformedInterchange(`the body is empty: send a ${what} interchange (ISA … IEA)`);
  }
  return body;
}

/** The answer's parties: the inquiry's sender and receiver swapped, in the ISA and the GS. */
function answerPartiesOf(inquiry: X12Interchange) {
  const { header } = inquiry;
  const group = inquiry.groups[0]!;
  return {
    senderQualifier: header.receiverQualifier,
    senderId: header.receiverId,
    receiverQualifier: header.senderQualifier,
    receiverId: header.senderId,
    applicationSenderId: group.receiverId,
    applicationReceiverId: group.senderId,
  };
}

/** Refuses (400, nothing recorded) a file whose parties its answer could not name. */
function assertAnswerable(inquiry: X12Interchange): void {
  try {
    assertWritableParties(answerPartiesOf(inquiry));
  } catch (error) {
    if (!(error instanceof X12WriteError)) throw error;
    throw new MalformedInterchange(`the interchange cannot be answered: ${error.message}`, [
      { field: 'ISA', message: error.message },
    ]);
  }
}

/** The answer's envelope: the inquiry's parties swapped, its usage kept. */
async function answerEnvelopeOf(
  database: Database,
  inquiry: X12Interchange,
): Promise<AnswerEnvelope> {
  return {
    ...answerPartiesOf(inquiry),
    controlNumber: await nextAnswerControlNumber(database.pool),
    usageIndicator: inquiry.header.usageIndicator,
    preparedAt: new Date(),
  };
}

const INQUIRER =
  "A provider's provider_biller and admin keys, and a payer's payer_adjudicator and admin " +
  'keys; the inquiry is recorded on the ledger.';

export function inquiriesRouter({ database, phiKeys }: InquiriesDependencies): DocumentedRouter {
  const router = documentedRouter('Inquiries');

  router.route(
    {
      method: 'get',
      path: '/eligibility',
      summary: "A member's eligibility and benefits with a payer (as a 271 answers)",
      description: INQUIRER,
      query: eligibilityQuerySchema,
      responses: {
        200: {
          description: 'Coverage, plan and benefits, and the ledger event recording the inquiry',
        },
      },
    },
    requireInquirer,
    async (request, response) => {
      const query = parseOrThrow(eligibilityQuerySchema, request.query, 'query');
      const question = {
        payerId: query.payerId,
        memberId: query.memberId,
        date: query.date ?? todayUtc(),
        procedureCodes: query.procedureCode ?? [],
      };
      const [outcome] = await answerEligibility(
        database,
        phiKeys,
        principalOf(response),
        [question],
        { channel: 'json', payerField: 'payerId' },
      );
      response.json({ ...outcome!.answer, ledgerEventId: outcome!.ledgerEventId });
    },
  );

  router.route(
    {
      method: 'get',
      path: '/claim-status',
      summary: "A claim's status with a payer (as a 277 answers)",
      description: INQUIRER,
      query: claimStatusQuerySchema,
      responses: { 200: { description: 'The claim status' } },
    },
    requireInquirer,
    async (request, response) => {
      const query = parseOrThrow(claimStatusQuerySchema, request.query, 'query');
      const { serviceDate } = query;
      const [answer] = await answerClaimStatus(
        database,
        principalOf(response),
        [
          {
            payerId: query.payerId,
            patientControlNumber: query.patientControlNumber,
            serviceDates: serviceDate === undefined ? null : { from: serviceDate, to: serviceDate },
            totalChargeAmount: null,
          },
        ],
        { channel: 'json', payerField: 'payerId' },
      );
      response.json(answer);
    },
  );

  // A 270 answered by a 271, each subscriber's inquiry recorded like a JSON one.
  router.route(
    {
      method: 'post',
      path: '/x12/270',
      summary: 'An X12 270 eligibility inquiry, answered by a 271',
      roles: ['provider_biller'],
      body: x12Body('005010X279A1 270'),
      responses: { 200: { description: 'The 271', contentType: X12_ANSWER_TYPE } },
    },
    requireX12Text,
    express.text({ type: X12_MEDIA_TYPES, limit: FILE_BODY_LIMIT }),
    async (request, response) => {
      const reading = read270(x12TextOrThrow(request.body, '270'));
      if (reading.status === 'malformed') {
        throw new MalformedInterchange(reading.problems[0]!.message, reading.problems);
      }
      assertAnswerable(reading.interchange);
      const questions = questionsOf270(reading.transactions, todayUtc());
      if (questions.length > ELIGIBILITY_QUESTIONS_MAX) {
        throw new MalformedInterchange(
          `at most ${ELIGIBILITY_QUESTIONS_MAX} subscribers per file; split the batch`,
        );
      }
      const outcomes = await answerEligibility(
        database,
        phiKeys,
        principalOf(response),
        questions,
        { channel: 'x12' },
      );
      const answers = answersOf270(
        reading.transactions,
        outcomes.map((outcome) => outcome.answer),
      );
      const envelope = await answerEnvelopeOf(database, reading.interchange);
      response.status(200).type(X12_ANSWER_TYPE).send(write271(envelope, answers));
    },
  );

  // A 276 answered by a 277, each claim status tracking loop asked and recorded as a JSON inquiry.
  router.route(
    {
      method: 'post',
      path: '/x12/276',
      summary: 'An X12 276 claim status inquiry, answered by a 277',
      roles: ['provider_biller'],
      body: x12Body('005010X212 276'),
      responses: { 200: { description: 'The 277', contentType: X12_ANSWER_TYPE } },
    },
    requireX12Text,
    express.text({ type: X12_MEDIA_TYPES, limit: FILE_BODY_LIMIT }),
    async (request, response) => {
      const reading = read276(x12TextOrThrow(request.body, '276'));
      if (reading.status === 'malformed') {
        throw new MalformedInterchange(reading.problems[0]!.message, reading.problems);
      }
      assertAnswerable(reading.interchange);
      const questions = questionsOf276(reading.transactions);
      if (questions.length > CLAIM_STATUS_QUESTIONS_MAX) {
        throw new MalformedInterchange(
          `at most ${CLAIM_STATUS_QUESTIONS_MAX} claim status tracking loops per file; split it`,
        );
      }
      const principal = principalOf(response);
      await assertOwnProviderNpis(database, principal, providerNpisOf276(reading.transactions));
      const answers = await answerClaimStatus(database, principal, questions, {
        channel: 'x12',
        payerField: '2100A NM109',
      });
      const envelope = await answerEnvelopeOf(database, reading.interchange);
      const content = answersOf276(reading.transactions, answers, todayUtc());
      response.status(200).type(X12_ANSWER_TYPE).send(write277(envelope, content));
    },
  );

  return router;
}
