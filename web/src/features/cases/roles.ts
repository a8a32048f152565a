// Which parts of the cases UI a role sees; the server enforces the same
// rules (casework.Next, the route table), this only hides what it refuses.
import { session } from '../../lib/api'

const role = () => session.user?.role ?? ''
export const canCases = () => ['admin', 'province', 'city', 'enforcement', 'enterprise'].includes(role())
export const canTriage = () => ['admin', 'province', 'city', 'enforcement'].includes(role())
export const canCreate = canTriage
