"""A client generated from /openapi.json handles an expired token and a 429 through its models.

Run by hand (it needs PyPI for openapi-python-client), against a server started with a known
secret and a quota of one request per minute:

    python3 -m venv /tmp/oapc && /tmp/oapc/bin/pip install openapi-python-client
    /tmp/oapc/bin/openapi-python-client generate --path docs/api/openapi.yaml \
        --output-path /tmp/pyclient --overwrite
    JWT_SECRET=check-secret-check-secret-check-1234 SOCRATES_SERVER__PORT=18080 \
        SOCRATES_RATE_LIMIT__REQUESTS_PER_MINUTE=1 cargo run -- serve &
    /tmp/oapc/bin/python xtask/scripts/generated_client_check.py http://127.0.0.1:18080 \
        check-secret-check-secret-check-1234
"""
import base64, hashlib, hmac, json, sys, time, uuid
sys.path.insert(0, '/tmp/pyclient')
from socrates_api_client import AuthenticatedClient, Client
from socrates_api_client.api.auth import login, me, register
from socrates_api_client.api.projects import create_project
from socrates_api_client.models import CredentialsRequest, RegistrationRequest, ErrorBody, UserResponse, CreateProjectRequest, ProjectResponse, ProjectPhase, UserStatus

base, secret = sys.argv[1], sys.argv[2].encode()
client = Client(base_url=base)
email = f'py-{uuid.uuid4().hex}@example.com'
created = register.sync_detailed(client=client, body=RegistrationRequest(email=email, password='Test123!'))
assert created.status_code == 201, created
tokens = login.sync(client=client, body=CredentialsRequest(email=email, password='Test123!'))
token = tokens.access_token

def b64(data): return base64.urlsafe_b64encode(data).rstrip(b'=')
head, payload, _ = token.split('.')
claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
claims['iat'] = int(time.time()) - 7200
claims['exp'] = int(time.time()) - 3600
signing = head.encode() + b'.' + b64(json.dumps(claims).encode())
expired = (signing + b'.' + b64(hmac.new(secret, signing, hashlib.sha256).digest())).decode()

answer = me.sync_detailed(client=AuthenticatedClient(base_url=base, token=expired))
assert answer.status_code == 401, answer.status_code
assert isinstance(answer.parsed, ErrorBody), type(answer.parsed)
print('expired token ->', answer.status_code, answer.parsed.error_code, '|', answer.parsed.error)
assert answer.parsed.error_code == 'TOKEN_EXPIRED'

authed = AuthenticatedClient(base_url=base, token=token)
project = create_project.sync_detailed(client=authed, body=CreateProjectRequest(name='Typed client'))
assert isinstance(project.parsed, ProjectResponse), project
assert project.parsed.phase == ProjectPhase.DISCOVERY
print('create project ->', project.status_code, project.parsed.phase, project.parsed.status)
limited = me.sync_detailed(client=authed)
assert limited.status_code == 429, limited.status_code
assert isinstance(limited.parsed, ErrorBody)
print('over the quota ->', limited.status_code, limited.parsed.error_code, 'Retry-After:', limited.headers.get('retry-after'))
assert limited.parsed.error_code == 'RATE_LIMITED' and int(limited.headers['retry-after']) >= 1
print('OK')
