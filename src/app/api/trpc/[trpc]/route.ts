import { handleTrpcRequest } from '@/server/api/http';

export const dynamic = 'force-dynamic';

function handler(request: Request) {
  return handleTrpcRequest(request);
}

export { handler as GET, handler as POST };
