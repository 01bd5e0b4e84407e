/** Where in the life of a mail it failed; the SPEC's `error.stage`. */
export type FailureStage =
	| 'validation'
	| 'attachment'
	| 'connection'
	| 'tls'
	| 'auth'
	| 'envelope'
	| 'data';

/** The SPEC's `mail.error` object. */
export interface MailError {
	message: string;
	code: string;
	responseCode?: number;
	command?: string;
	permanent: boolean;
	stage: FailureStage;
}

/** A problem found before anything reached the server: it will not go away by itself. */
export function refusalBeforeSending(stage: 'validation' | 'attachment', error: unknown): MailError {
	return {
		message: error instanceof Error ? error.message : String(error),
		code: stage === 'validation' ? 'EVALIDATION' : 'EATTACHMENT',
		permanent: true,
		stage,
	};
}
