import { hostsInArgs, hostsInValue, normaliseName } from '../../../src/ingest/k8s/hosts.js';

const hosts = (name: string | undefined, value: string, source: 'env' | 'config' | 'arg' = 'env', siblings: Record<string, string> = {}) =>
  hostsInValue(name, value, source, (n) => siblings[n]).map((h) => `${h.scheme ? `${h.scheme}://` : ''}${h.host}${h.port !== undefined ? `:${h.port}` : ''}`);

describe('hostsInValue: what is a host', () => {
  test.each([
    ['PRODUCT_CATALOG_SERVICE_ADDR', 'productcatalogservice:3550', ['productcatalogservice:3550']],
    ['REDIS_ADDR', 'redis-cart:6379', ['redis-cart:6379']],
    ['ORDERS', 'orders.shop', ['orders.shop']],
    ['ORDERS', 'http://orders.shop.svc.cluster.local:80/x', ['http://orders.shop.svc.cluster.local:80']],
    ['API', 'https://api.stripe.com/v1', ['https://api.stripe.com:443']],
    ['DB_HOST', 'postgresdb', ['postgresdb']],
    ['CATALOG_URL', 'catalogue', ['catalogue']],
    ['KAFKA_BOOTSTRAP_SERVERS', 'kafka-0.kafka:9092,kafka-1.kafka:9092', ['kafka-0.kafka:9092', 'kafka-1.kafka:9092']],
    ['DATABASE_URL', 'jdbc:postgresql://db.data:5432/app', ['postgresql://db.data:5432']],
    ['MONGO_URI', 'mongodb://mongo-0:27017,mongo-1:27017/shop?replicaSet=rs0', ['mongodb://mongo-0:27017']],
    ['UPSTREAM', '10.20.30.40:8080', ['10.20.30.40:8080']],
    ['TOKEN_URL', 'https://auth.example.com/oauth/token', ['https://auth.example.com:443']],
  ])('%s=%s', (name, value, expected) => {
    expect(hosts(name, value)).toEqual(expected);
  });

  test.each([
    ['PORT', '8080'],
    ['ENABLE_PROFILER', '0'],
    ['ENABLE_TRACING', 'true'],
    ['LOG_LEVEL', 'info'],
    ['VERSION', 'v0.6.10'],
    ['APP_VERSION', '1.2.3'],
    ['MODE', 'production'],
    ['IMAGE', 'postgres:14'],
    ['SIDECAR_IMAGE', 'gcr.io/google-samples/microservices-demo/frontend:v0.10.0'],
    ['CONFIG', '/etc/app/config.yaml'],
    ['CONFIG_FILE', 'config.json'],
    ['MAIN', 'app.py'],
    ['MAIN_CLASS', 'com.example.shop.Main'],
    ['PACKAGE', 'com.example.shop'],
    ['ADMIN', 'admin@example.com'],
    ['SMTP_EMAIL', 'user@example.com'],
    ['MAILHOG_DOMAIN', 'example.com'],
    ['LISTEN_ADDR', '0.0.0.0:8080'],
    ['BIND_ADDRESS', ':9090'],
    ['METRICS', 'localhost:9090'],
    ['CALLBACK', 'http://127.0.0.1:3000/cb'],
    ['ALLOWED_OAUTH_REDIRECT_URI', 'https://shop.example.com/login'],
    ['DB_PASSWORD', 'db.internal:5432'],
    ['JWT_SECRET', 'crapi'],
    ['SERVICE_NAME', 'frontend'],
    ['POD_IP', '$(POD_IP):8080'],
    ['TEMPLATE', '{{ .Host }}:80'],
    ['TIME', '12:30'],
    ['WORD', 'checkout'],
    ['FILES', 's3://bucket/key'],
    ['SOCKET', 'unix:///var/run/app.sock'],
  ])('%s=%s is not a host', (name, value) => {
    expect(hosts(name, value)).toEqual([]);
  });

  test('a bare word needs a host-like name, and alone', () => {
    expect(hosts('CHECKOUT_SERVICE', 'checkout')).toEqual(['checkout']);
    expect(hosts('CHECKOUT', 'checkout')).toEqual([]);
    expect(hosts('DB_HOST', 'true')).toEqual([]);
    expect(hosts('DB_HOST', 'INFO')).toEqual([]);
  });

  test('X_HOST takes the port of its X_PORT sibling', () => {
    const [hit] = hostsInValue('DB_HOST', 'postgresdb', 'config', (n) => ({ DB_PORT: '5432' })[n]);
    expect(hit).toEqual({ host: 'postgresdb', port: 5432, protocol: 'tcp', encrypted: false, appProtocol: 'postgres', protocolGuessed: true, shown: 'postgresdb' });
  });

  test('protocol and encryption come from the scheme, else the port', () => {
    const pick = (name: string, value: string) => {
      const [h] = hostsInValue(name, value, 'env');
      return h && [h.protocol, h.encrypted, h.protocolGuessed];
    };
    expect(pick('A_URL', 'https://a.shop:8443/')).toEqual(['https', true, false]);
    expect(pick('A_URL', 'http://a.shop')).toEqual(['http', false, false]);
    expect(pick('A_ADDR', 'grpcs://a.shop:443')).toEqual(['grpc', true, false]);
    expect(pick('A_ADDR', 'rediss://cache:6380')).toEqual(['tcp', true, false]);
    expect(pick('A_DSN', 'postgres://u@db:5432/x?sslmode=require')).toEqual(['tcp', true, false]);
    expect(pick('A_ADDR', 'a:443')).toEqual(['https', 'unknown', true]);
    expect(pick('A_ADDR', 'a:80')).toEqual(['http', false, true]);
    expect(pick('A_GRPC_ADDR', 'a:7000')).toEqual(['grpc', false, true]);
    expect(pick('A_ADDR', 'a:7000')).toEqual(['tcp', false, true]);
  });

  test('userinfo is redacted from what is shown', () => {
    const [h] = hostsInValue('ACCOUNTS_DB_URI', 'postgresql://accounts-admin:accounts-pwd@accounts-db:5432/accounts-db', 'config');
    expect(h!.shown).toBe('postgresql://***@accounts-db:5432/accounts-db');
    expect(h!.host).toBe('accounts-db');
  });

  test('multi-line config: URLs anywhere, host-like keys in key=value lines', () => {
    const nginx = 'server {\n  location / {\n    proxy_pass http://backend.shop:8080;\n  }\n}\n# proxy_pass http://old:1;\n';
    expect(hosts('nginx.conf', nginx, 'config')).toEqual(['http://backend.shop:8080']);
    const props = 'spring.datasource.url=jdbc:mysql://mysql.data:3306/app\nspring.redis.host=redis\nserver.port=8080\napp.name=shop.app\n';
    expect(hosts('application.properties', props, 'config')).toEqual(['mysql://mysql.data:3306', 'redis']);
    // Comments, prose and links to documentation or code hosting are not calls.
    expect(hosts('schema.sql', '-- Licensed under http://www.apache.org/licenses/LICENSE-2.0\nCREATE TABLE users (id int);\n', 'config')).toEqual([]);
    const dashboard = '{\n  "content": "<img src=\\"http://prometheus.io/logo.svg\\"> text",\n  "url": "http://prometheus:9090",\n  "links": [{"url": "https://github.com/x/dashboards"}],\n  "help": "see http://wiki.example/x for more"\n}\n';
    expect(hosts('dashboard.json', dashboard, 'config')).toEqual(['http://prometheus:9090']);
    // Multi-line env values are not scanned (scripts, certificates).
    expect(hosts('SCRIPT', 'curl http://a.shop\n', 'env')).toEqual([]);
  });
});

describe('hostsInArgs', () => {
  test('flags with host-like names and values, URLs, host:port; not file names', () => {
    const hits = hostsInArgs(['--db-host=postgres', '--upstream', 'orders:8080', '-config', 'app.yaml', 'serve', '--target', 'http://api.shop/v1', '--cache.addr=redis.cache.svc.cluster.local']);
    expect(hits.map((h) => [h.hit.host, h.hit.port ?? null, h.arg])).toEqual([
      ['postgres', null, '--db-host=postgres'],
      ['orders', 8080, '--upstream orders:8080'],
      ['api.shop', 80, '--target http://api.shop/v1'],
      ['redis.cache.svc.cluster.local', null, '--cache.addr=redis.cache.svc.cluster.local'],
    ]);
  });

  test('shell scripts are split into words', () => {
    const hits = hostsInArgs(['/bin/sh', '-c', 'until nc -z postgres:5432; do sleep 1; done; exec app --listen=0.0.0.0:8080']);
    expect(hits.map((h) => `${h.hit.host}:${h.hit.port}`)).toEqual(['postgres:5432']);
  });

  test('plain positional words are never hosts', () => {
    expect(hostsInArgs(['service', 'postgresdb', 'sleep', 'infinity', 'kube-bench', 'run', '--targets', 'master'])).toEqual([]);
  });
});

test('normaliseName', () => {
  expect(normaliseName('spring.datasource.url')).toBe('SPRING_DATASOURCE_URL');
  expect(normaliseName('--db-host')).toBe('DB_HOST');
  expect(normaliseName('redisAddr')).toBe('REDIS_ADDR');
});
