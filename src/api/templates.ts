/** Proof post templates returned by POST /v1/proof/payload (checkers: proof posts). */

export interface TemplateInput {
  platform: string;
  identity: string;
  avatar: string;
  signPayload: string;
  uuid: string;
  createdAt: string;
  prev: string | null;
}

const SIG = '%SIG_BASE64%';

function jsonProof(usernameKey: string, t: TemplateInput): string {
  return JSON.stringify(
    {
      version: '1',
      comment: 'Here is the NextID proof of this account.',
      comment2: 'To validate, base64-decode the signature and recover the public key from it with sign_payload, using the Ethereum personal_sign algorithm.',
      persona: t.avatar,
      [usernameKey]: t.identity,
      sign_payload: t.signPayload,
      signature: SIG,
      created_at: t.createdAt,
      uuid: t.uuid,
    },
    null,
    2,
  );
}

export function postContent(t: TemplateInput): Record<string, string> {
  const misc = `Misc: ${t.uuid}|${t.createdAt}|${t.prev ?? ''}`;
  let text: string;
  switch (t.platform) {
    case 'twitter':
      text = `🎭 Verify @${t.identity} with @NextDotID.\nSig: ${SIG}\n${misc}`;
      break;
    case 'github':
      text = jsonProof('github_username', t);
      break;
    case 'keybase':
      text = jsonProof('keybase_username', t);
      break;
    case 'dns':
      text = `ps:true;v:1;sig:${SIG};ca:${t.createdAt};uuid:${t.uuid};prev:${t.prev ?? 'null'}`;
      break;
    case 'discord':
    case 'minds':
      text = `🎭 Verify ${t.identity} with @NextDotID.\nSig: ${SIG}\n${misc}`;
      break;
    case 'activitypub':
      text = `🎭 Verify @${t.identity} with @NextDotID.\nSignature: ${SIG}\n${misc}`;
      break;
    default:
      // Wallet platforms have no post: the wallet signature is the proof.
      text = '';
  }
  return { default: text, en_US: text };
}
